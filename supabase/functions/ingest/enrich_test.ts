import assert from 'node:assert/strict';
import { clientIp, country, device, enrich, hashIp, uaFacts } from './enrich.ts';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const IPAD = 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1';
const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

Deno.test('device type, browser and os come from the user agent', () => {
  assert.deepEqual(device(IPHONE), { device_type: 'mobile', browser: 'Mobile Safari', os: 'iOS' });
  assert.equal(device(IPAD).device_type, 'tablet');
  assert.deepEqual(device(CHROME_WIN), { device_type: 'desktop', browser: 'Chrome', os: 'Windows' });
});

Deno.test('user agent facts (device and bot verdict) are parsed once and then cached', () => {
  const first = uaFacts(IPHONE);
  assert.deepEqual(first, { ...device(IPHONE), is_bot: false });
  assert.equal(uaFacts(IPHONE), first, 'the second lookup returns the cached result');
  assert.equal(uaFacts('Googlebot/2.1 (+http://www.google.com/bot.html)').is_bot, true);
  assert.equal(uaFacts('').is_bot, true, 'an empty user agent is a script');
});

Deno.test('country comes from the platform header, unknown codes are dropped', () => {
  assert.equal(country(new Headers({ 'cf-ipcountry': 'nl' })), 'NL');
  assert.equal(country(new Headers({ 'cf-ipcountry': 'XX' })), null);
  assert.equal(country(new Headers({ 'x-vercel-ip-country': 'DE' })), 'DE');
  assert.equal(country(new Headers()), null);
});

Deno.test('without a country header the country comes from the client ip; the header wins over the lookup', () => {
  const now = new Date();
  const at = (headers: Record<string, string>) =>
    enrich(new Headers({ 'user-agent': CHROME_WIN, ...headers }), { secret: 's', now }).country;
  // 1.1.1.0-1.1.1.255 is AU in the embedded DB-IP table (geo/country-of-ip_test.ts).
  assert.equal(at({ 'cf-connecting-ip': '1.1.1.1' }), 'AU');
  assert.equal(at({ 'cf-connecting-ip': '2a00:1450:100::1' }), 'GB');
  assert.equal(at({ 'cf-connecting-ip': '1.1.1.1', 'cf-ipcountry': 'NL' }), 'NL', 'the platform header wins');
  assert.equal(at({ 'cf-connecting-ip': '1.1.1.1', 'cf-ipcountry': 'XX' }), 'AU', 'an unknown header falls back');
  assert.equal(at({ 'cf-connecting-ip': '192.168.1.10' }), null, 'a private address has none');
  assert.equal(at({ 'x-forwarded-for': '1.1.1.1' }), null, 'only the platform header gives the address');
  assert.equal(at({}), null);
});

Deno.test('the client ip comes from the one configured header; headers a client may send are ignored', () => {
  const spoofed = { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6', 'true-client-ip': '6.6.6.6' };
  assert.equal(clientIp(new Headers({ ...spoofed, 'cf-connecting-ip': '203.0.113.7' })), '203.0.113.7');
  assert.equal(clientIp(new Headers(spoofed)), null, 'no platform header: no address, not a client-chosen one');
  assert.equal(clientIp(new Headers({ 'cf-connecting-ip': '2001:db8::1' })), '2001:db8::1');
  assert.equal(clientIp(new Headers({ 'cf-connecting-ip': 'not-an-ip' })), null);
  // A list gives its last entry, the one the nearest proxy appended.
  assert.equal(clientIp(new Headers({ 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }), 'x-forwarded-for'), '203.0.113.7');
  assert.equal(clientIp(new Headers({ 'x-real-ip': '198.51.100.2' }), 'x-real-ip'), '198.51.100.2');
});

Deno.test('ip hashes are stable within a day, differ across days and secrets, and hide the ip', () => {
  const day1 = new Date('2026-11-25T01:00:00Z');
  const day1b = new Date('2026-11-25T23:00:00Z');
  const day2 = new Date('2026-11-26T01:00:00Z');
  const a = hashIp('203.0.113.7', 's1', day1);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(a, hashIp('203.0.113.7', 's1', day1b));
  assert.notEqual(a, hashIp('203.0.113.7', 's1', day2));
  assert.notEqual(a, hashIp('203.0.113.7', 's2', day1));
  assert.notEqual(a, hashIp('203.0.113.8', 's1', day1));
});

Deno.test('the ip hash is SHA-256(HMAC-SHA-256(secret, "ip-salt:" + day) ‖ ip), as stored hashes were made', async () => {
  // Computed independently with WebCrypto: cookieless visitor ids and rate-limit
  // buckets derive from this hash, so a change would split a day's visitors.
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode('s1'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const salt = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode('ip-salt:2026-11-25')));
  const expected = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array([...salt, ...enc.encode('203.0.113.7')])));
  const hex = Array.from(expected, (b) => b.toString(16).padStart(2, '0')).join('');
  assert.equal(hashIp('203.0.113.7', 's1', new Date('2026-11-25T12:00:00Z')), hex);
});

Deno.test('bots and empty user agents are flagged', () => {
  const now = new Date();
  const bot = enrich(new Headers({ 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }), { secret: 's', now });
  assert.equal(bot.is_bot, true);
  assert.equal(enrich(new Headers(), { secret: 's', now }).is_bot, true);
  const human = enrich(new Headers({ 'user-agent': CHROME_WIN, 'cf-connecting-ip': '198.51.100.1' }), { secret: 's', now });
  assert.equal(human.is_bot, false);
  assert.ok(human.ip_hash && !JSON.stringify(human).includes('198.51.100.1'), 'the raw ip must not appear');
});
