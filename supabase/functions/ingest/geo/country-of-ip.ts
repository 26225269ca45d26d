// The country of a client address from the embedded DB-IP Lite table, for requests
// whose platform sent no country header. Only the two-letter code leaves this module;
// the address itself is neither stored nor logged.
import { countryOfV4, countryOfV6 } from './country-table.ts';
import { parseIp } from './ip-address.ts';
import { isPublicV4, isPublicV6 } from './special-ranges.ts';

/** ISO 3166-1 alpha-2 code, or null for an unknown, private, reserved or invalid address. */
export function countryOfIp(text: string): string | null {
  const ip = parseIp(text);
  if (!ip) return null;
  if ('v4' in ip) return isPublicV4(ip.v4) ? countryOfV4(ip.v4) : null;
  return isPublicV6(ip.v6) ? countryOfV6(ip.v6) : null;
}
