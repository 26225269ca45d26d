// Whether a receiver's host resolves only to addresses outside the refused networks
// (SQL owns the list: crm.refused_networks). Checked at send time, after DNS, so a
// name that points at a private address is caught too.
import ipaddr from 'npm:ipaddr.js@2.5.0';

export type Resolve = (host: string) => Promise<string[]>;

/** A and AAAA records of a name (an address literal resolves to itself). */
export const resolveHost: Resolve = async (host) => {
  const bare = host.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(bare)) return [bare];
  const found = await Promise.allSettled([Deno.resolveDns(bare, 'A'), Deno.resolveDns(bare, 'AAAA')]);
  const addrs = found.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  if (!addrs.length) throw new Error(`${bare} does not resolve`);
  return addrs;
};

/** The first address of `addrs` inside one of `networks` (CIDR), or null. */
export function refusedAddress(addrs: string[], networks: string[]): string | null {
  const ranges = networks.map((n) => ipaddr.parseCIDR(n));
  for (const a of addrs) {
    const addr = ipaddr.parse(a);
    for (const [net, bits] of ranges) {
      if (addr.kind() === net.kind() && addr.match(net, bits)) return a;
    }
  }
  return null;
}
