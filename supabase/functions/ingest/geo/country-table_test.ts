// The decoded table against the package's own text files (addresses written out, not
// the numbers the build reads): the first and last address of every range must get
// that range's country, through the same parser the function uses.
import assert from 'node:assert/strict';
import { countryOfV4, countryOfV6 } from './country-table.ts';
import { parseIp } from './ip-address.ts';

const dir = new URL('../../../../node_modules/@ip-location-db/dbip-country/', import.meta.url);

function countryOf(text: string): string | null {
  const ip = parseIp(text);
  if (!ip) throw new Error(`the parser refuses ${text}`);
  return 'v4' in ip ? countryOfV4(ip.v4) : countryOfV6(ip.v6);
}

for (const family of ['ipv4', 'ipv6']) {
  Deno.test(`every ${family} range of the package, first and last address, has its country`, async () => {
    const lines = (await Deno.readTextFile(new URL(`dbip-country-${family}.csv`, dir))).trim()
      .split('\n');
    let wrong = 0;
    const examples: string[] = [];
    for (const line of lines) {
      const [first, last, cc] = line.split(',');
      for (const ip of [first!, last!]) {
        const got = countryOf(ip);
        if (got !== cc) {
          wrong++;
          if (examples.length < 5) examples.push(`${ip}: ${got}, want ${cc}`);
        }
      }
    }
    assert.equal(wrong, 0, examples.join('; '));
    assert.ok(lines.length > 100_000, `only ${lines.length} ranges`);
  });
}

Deno.test('addresses in no range (the gaps of the data) have no country', () => {
  // 10.0.0.0/8 and 2001:db8::/32 are holes in the data itself, not only special ranges.
  assert.equal(countryOf('10.0.0.1'), null);
  assert.equal(countryOf('2001:db8::1'), null);
  // Past the data's last range (2e00:: … 2fff:…, CA) and before its first.
  assert.equal(countryOf('3000::'), null);
  assert.equal(countryOf('1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), null);
  assert.equal(countryOf('0.255.255.255'), null);
  assert.equal(countryOf('224.0.0.0'), null);
});
