// Parses an IP address into numbers for the country lookup: IPv4 as one unsigned 32-bit
// number, IPv6 as four 32-bit words, most significant first. An IPv4-mapped IPv6
// address (::ffff:1.2.3.4) is the IPv4 address it carries.

export type IpAddress = { v4: number } | { v6: Uint32Array };

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | null {
  const m = V4.exec(text);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // Leading zeros are refused, as node:net's isIP does (some parsers read them as octal).
    if (part.length > 1 && part[0] === '0') return null;
    const byte = Number(part);
    if (byte > 255) return null;
    n = n * 256 + byte;
  }
  return n;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or null. */
function groups(text: string): number[] | null {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parts = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const fields = half.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = parseIpv4(f);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(f)) out.push(parseInt(f, 16));
      else return null;
    }
    return out;
  };
  const head = parts(halves[0]!);
  const tail = halves.length === 2 ? parts(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  return fill >= 1 ? [...head, ...new Array(fill).fill(0), ...tail] : null;
}

export function parseIp(text: string): IpAddress | null {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === null ? null : { v4 };
  }
  const g = groups(text);
  if (!g) return null;
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = g[2 * i]! * 0x10000 + g[2 * i + 1]!;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { v4: w[3]! };
  return { v6: w };
}
