// Addresses that belong to no country: private, loopback, link-local, shared (CGNAT),
// documentation, multicast and reserved blocks (IANA special-purpose registries). They
// are checked here, not left to the data, so that such an address never gets a country
// whatever a future data release says.

/** [first address, prefix length] */
const V4_SPECIAL: [number, number][] = [
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10.0.0.0/8 private
  [0x64400000, 10], // 100.64.0.0/10 shared address space (CGNAT)
  [0x7f000000, 8], // 127.0.0.0/8 loopback
  [0xa9fe0000, 16], // 169.254.0.0/16 link-local
  [0xac100000, 12], // 172.16.0.0/12 private
  [0xc0000000, 24], // 192.0.0.0/24 IETF protocol assignments
  [0xc0000200, 24], // 192.0.2.0/24 documentation
  [0xc0a80000, 16], // 192.168.0.0/16 private
  [0xc6120000, 15], // 198.18.0.0/15 benchmarking
  [0xc6336400, 24], // 198.51.100.0/24 documentation
  [0xcb007100, 24], // 203.0.113.0/24 documentation
  [0xe0000000, 3], // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, broadcast
];

export function isPublicV4(ip: number): boolean {
  for (const [first, bits] of V4_SPECIAL) {
    if (Math.floor(ip / 2 ** (32 - bits)) === Math.floor(first / 2 ** (32 - bits))) return false;
  }
  return true;
}

/**
 * Only global unicast (2000::/3) is routed to users; outside it are loopback, unique
 * local (fc00::/7), link-local, multicast and unassigned space. Inside it, the
 * documentation prefixes 2001:db8::/32 and 3fff::/20.
 */
export function isPublicV6(w: Uint32Array): boolean {
  const first = w[0]!;
  if (first >>> 29 !== 1) return false;
  if (first === 0x20010db8) return false;
  if (first >>> 12 === 0x3fff0) return false; // 3fff::/20
  return true;
}
