import assert from 'node:assert/strict';
import { countryOfIp } from './country-of-ip.ts';
import { SOURCE } from './country-data.ts';

// Ranges of @ip-location-db/dbip-country@2.3.2026060120 (its dbip-country-ipv*.csv);
// a newer package may move them: update these with the package.
Deno.test('addresses of known ranges get their country, at both edges of a range', () => {
  assert.equal(
    SOURCE,
    '@ip-location-db/dbip-country@2.3.2026060120',
    'the ranges below are from this release',
  );
  assert.equal(countryOfIp('1.1.1.1'), 'AU'); // 1.1.1.0,1.1.1.255,AU
  assert.equal(countryOfIp('81.0.63.255'), 'ES'); // 81.0.0.0,81.0.63.255,ES
  assert.equal(countryOfIp('81.0.64.0'), 'HU'); // 81.0.64.0,81.0.127.255,HU
  assert.equal(countryOfIp('2a00:1450:ff:ffff:ffff:ffff:ffff:ffff'), 'PL');
  assert.equal(countryOfIp('2a00:1450:100::'), 'GB');
  assert.equal(countryOfIp('2A00:1450:100:0:0:0:0:1'), 'GB', 'upper case, no ::');
  // Ranges that do not start on a /64 boundary.
  assert.equal(countryOfIp('2001:550::1000:0:0:9a18:1073'), 'US');
  assert.equal(countryOfIp('2001:550::1000:0:0:9a18:1074'), 'AU');
  assert.equal(countryOfIp('2001:550::1000:0:0:9a36:a553'), 'AU');
  assert.equal(countryOfIp('2001:550::1000:0:0:9a36:a554'), 'US');
});

Deno.test('an IPv4-mapped IPv6 address is looked up as IPv4', () => {
  assert.equal(countryOfIp('::ffff:1.1.1.1'), 'AU');
  assert.equal(countryOfIp('::ffff:101:101'), 'AU');
});

Deno.test('private, loopback, link-local, documentation and reserved addresses have no country', () => {
  for (
    const ip of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '0.0.0.0',
      '192.0.2.1',
      '198.51.100.7',
      '203.0.113.9',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fe80::1%eth0',
      'fd00::1',
      'ff02::1',
      '2001:db8::1',
      '3fff::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
    ]
  ) assert.equal(countryOfIp(ip), null, ip);
});

Deno.test('addresses next to a private block still get their country', () => {
  // 9.255.255.255 and 11.0.0.0 are public; 10/8 between them is not.
  assert.notEqual(countryOfIp('9.255.255.255'), null);
  assert.notEqual(countryOfIp('11.0.0.0'), null);
  assert.notEqual(countryOfIp('172.15.255.255'), null);
  assert.notEqual(countryOfIp('172.32.0.0'), null);
});

Deno.test('text that is not an address has no country', () => {
  for (
    const s of [
      '',
      'localhost',
      '1.1.1',
      '1.1.1.1.1',
      '1.1.1.256',
      '01.1.1.1',
      '1.1.1.1 ',
      ':::',
      '2a00::1450::1',
      '2a00:1450:100:0:0:0:0:0:1',
      '2a00:1450:100:0:0:0:1',
      '2a00:1450:100g::',
      '12345::',
      '::ffff:1.1.1.999',
    ]
  ) assert.equal(countryOfIp(s), null, JSON.stringify(s));
});
