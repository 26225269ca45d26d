// Real-browser smoke test of the built dashboard against a mocked Supabase (REST RPC, Auth
// and the Realtime websocket are answered by Playwright routes), so every view can be
// exercised before the SQL and gateway are complete. Not part of `npm test` yet.
//
//   npm run build:site && node_modules/.bin/node site/e2e/mocked-backend.smoke.mjs
//   (W=390 for a phone viewport; screenshots go to $SHOTS, default /tmp)
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const API = 'http://127.0.0.1:59999';
const server = spawn(`${repo}node_modules/.bin/deno`, ['run', '--allow-net', '--allow-read', '--allow-env', `${repo}scripts/serve-site.ts`], {
  env: { ...process.env, API_URL: API, ANON_KEY: 'anon-key', SITE_PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
process.on('exit', () => server.kill()); // also when an assertion fails
const SITE = await new Promise((resolve, reject) => {
  server.stdout.on('data', (b) => {
    const m = String(b).match(/DASHBOARD_URL=(\S+)/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (code) => reject(new Error(`serve-site exited with ${code}`)));
});
const P = '33333333-3333-3333-3333-333333333333';
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const exp = Math.floor(Date.now() / 1000) + 3600;
const jwt = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'dash-user', role: 'authenticated', exp, email: 'demo@vibe.local' })}.sig`;
const user = { id: 'dash-user', aud: 'authenticated', role: 'authenticated', email: 'demo@vibe.local', app_metadata: {}, user_metadata: {}, created_at: new Date().toISOString() };
const days = Array.from({ length: 30 }, (_, i) => ({ day: new Date(Date.now() - (29 - i) * 864e5).toISOString().slice(0, 10), active_users: 10 + ((i * 7) % 13) }));
const online = [
  { session_id: 's1', user_id: 'u1', display_name: 'Jan', email: 'jan@example.com', current_page: '/pricing', time_on_site_seconds: 300, time_on_page_seconds: 400, device_type: 'desktop', browser: 'Chrome', segment: 'premium', is_stuck: true, is_idle: false },
  { session_id: 's2', user_id: 'u2', display_name: null, email: null, current_page: '/', time_on_site_seconds: 20, time_on_page_seconds: 20, device_type: 'mobile', browser: 'Safari', segment: 'visitor', is_stuck: false, is_idle: false },
];
const rpc = {
  list_crm_projects: [{ id: P, name: 'Demo shop', public_key: 'pk_demo1234', role: 'owner', created_at: '2026-11-01T00:00:00Z' }, { id: '44444444-4444-4444-4444-444444444444', name: 'Second', public_key: 'pk_second12', role: 'viewer', created_at: '2026-11-01T00:00:00Z' }],
  get_crm_metrics: [
    { metric: 'total_users', value: 1234, last_week: 1100, change: 134, change_pct: 12.2 },
    { metric: 'online_now', value: 2, last_week: 3, change: -1, change_pct: -33.3 },
    { metric: 'new_this_week', value: 80, last_week: 80, change: 0, change_pct: 0 },
    { metric: 'churn_rate', value: 4.5, last_week: 3.0, change: 1.5, change_pct: 50 },
  ],
  get_online_users: online,
  get_daily_active_users: days,
  calculate_funnel_conversion: [
    { step_order: 1, name: 'Bezoekers', users: 1000, pct_of_first: 100, pct_of_previous: 100, drop_off: 0, drop_off_pct: 0 },
    { step_order: 2, name: 'Signup', users: 200, pct_of_first: 20, pct_of_previous: 20, drop_off: 800, drop_off_pct: 80 },
    { step_order: 3, name: 'Actief', users: 120, pct_of_first: 12, pct_of_previous: 60, drop_off: 80, drop_off_pct: 40 },
    { step_order: 4, name: 'Betaald', users: 30, pct_of_first: 3, pct_of_previous: 25, drop_off: 90, drop_off_pct: 75 },
  ],
  get_site_user_detail: { user: { id: 'u1', name: 'Jan', email: 'jan@example.com', segment: 'premium', verified: true, sessions_count: 3, pageviews_count: 12, metadata: { plan: 'pro' } }, sessions: [{ id: 'x1', started_at: '2026-11-25T10:00:00Z', duration_seconds: 310, device_type: 'desktop', browser: 'Chrome', pages: [{ path: '/', entered_at: '2026-11-25T10:00:00Z', seconds: 10 }, { path: '/pricing', entered_at: '2026-11-25T10:00:10Z', seconds: 300 }] }] },
  list_site_users: [{ id: 'u1', name: 'Jan', email: 'jan@example.com', segment: 'premium', first_seen_at: '2026-11-01T00:00:00Z', last_seen_at: '2026-11-25T10:00:00Z', sessions_count: 3, is_online: true, total_count: 120 }],
  get_crm_project: { id: P, name: 'Demo shop', public_key: 'pk_demo1234', allowed_origins: ['https://shop.example'], settings: { privacy_mode: 'standard', respect_dnt: true, require_signed_identify: false }, role: 'owner', funnel_steps: [{ step_order: 1, name: 'Bezoekers', event_name: 'pageview' }], members: [{ user_id: 'dash-user', email: 'demo@vibe.local', role: 'owner' }] },
  export_crm_metrics_csv: 'metric,value\r\ntotal_users,1234\r\n',
};
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const ctx = await browser.newContext({ viewport: { width: Number(process.env.W ?? 1280), height: 900 }, acceptDownloads: true });
const page = await ctx.newPage();
const problems = [];
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
let ws;
await page.routeWebSocket(/realtime\/v1\/websocket/, (socket) => {
  ws = socket;
  socket.onMessage((raw) => {
    if (typeof raw !== 'string') return;
    const [jr, ref, topic, event] = JSON.parse(raw);
    if (event === 'phx_join' || event === 'heartbeat' || event === 'phx_leave') socket.send(JSON.stringify([jr, ref, topic, 'phx_reply', { status: 'ok', response: { postgres_changes: [] } }]));
  });
});
await page.route(`${API}/**`, async (route) => {
  const req = route.request();
  const url = new URL(req.url());
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': '*' };
  if (req.method() === 'OPTIONS') return route.fulfill({ status: 200, headers: cors });
  if (url.pathname === '/auth/v1/token') return route.fulfill({ status: 200, headers: cors, contentType: 'application/json', body: JSON.stringify({ access_token: jwt, token_type: 'bearer', expires_in: 3600, expires_at: exp, refresh_token: 'r1', user }) });
  if (url.pathname === '/auth/v1/user') return route.fulfill({ status: 200, headers: cors, contentType: 'application/json', body: JSON.stringify(user) });
  if (url.pathname === '/auth/v1/logout') return route.fulfill({ status: 204, headers: cors });
  const m = url.pathname.match(/^\/rest\/v1\/rpc\/(\w+)$/);
  if (m && m[1] in rpc) return route.fulfill({ status: 200, headers: cors, contentType: 'application/json', body: JSON.stringify(rpc[m[1]]) });
  return route.fulfill({ status: 404, headers: cors, contentType: 'application/json', body: JSON.stringify({ code: 'PGRST202', message: 'not found ' + url.pathname }) });
});
const shot = (n) => page.screenshot({ path: `${process.env.SHOTS ?? '/tmp'}/vibe-${n}-${process.env.W ?? 1280}.png`, fullPage: true });
await page.goto(SITE + '/');
await page.getByTestId('login-form').waitFor();
await page.getByTestId('login-email').fill('demo@vibe.local');
await page.getByTestId('login-password').fill('x');
await page.getByTestId('login-submit').click();
await page.getByTestId('metric-total_users').waitFor();
await page.getByTestId('active-user-row').first().waitFor();
await page.getByTestId('dau-chart').waitFor();
await page.locator('.apexcharts-area-series, .apexcharts-series').first().waitFor({ timeout: 10000 });
await page.getByTestId('funnel-step').first().waitFor();
assert.match(await page.getByTestId('funnel-drop').first().textContent(), /80% uitval · −800 gebruikers/);
await page.waitForFunction(() => document.querySelector('[data-testid=live-status]')?.getAttribute('data-status') === 'live', null, { timeout: 10000 });
const t0 = await page.getByTestId('active-user-time').first().textContent();
await page.waitForTimeout(1500);
const t1 = await page.getByTestId('active-user-time').first().textContent();
assert.notEqual(t1, t0, 'time on site ticks');
// live broadcast
const topic = `realtime:crm:${P}`;
ws.send(JSON.stringify([null, null, topic, 'broadcast', { type: 'broadcast', event: 'session_started', payload: { session_id: 's3', user_id: 'u3', display_name: 'Piet', current_page: '/signup', time_on_site_seconds: 1, time_on_page_seconds: 1, device_type: 'tablet', browser: 'Firefox', segment: 'trial' } }]));
await page.locator('[data-session-id=s3]').waitFor();
ws.send(JSON.stringify([null, null, topic, 'broadcast', { type: 'broadcast', event: 'session_stuck', payload: { session_id: 's3', display_name: 'Piet', current_page: '/signup', user_id: 'u3' } }]));
await page.getByTestId('stuck-toast').waitFor();
assert.equal(await page.getByTestId('active-user-row').count(), 3);
assert.match(await page.getByTestId('stuck-toast').textContent(), /Piet zit vast op \/signup/);
await shot('dashboard');
await page.getByTestId('active-user-row').first().click();
await page.getByTestId('user-detail-session').first().waitFor();
await shot('detail');
await page.keyboard.press('Escape');
await page.getByTestId('user-detail').waitFor({ state: 'detached' });
await page.getByTestId('open-integration').click();
assert.equal(
  await page.getByTestId('integration-snippet').textContent(),
  `<script defer src="${API}/functions/v1/ingest/vibe.js" data-project="pk_demo1234" data-api="${API}/functions/v1/ingest"></script>`,
);
await page.keyboard.press('Escape');
await page.getByTestId('open-export').click();
const dl = page.waitForEvent('download');
await page.getByTestId('export-metrics').click();
assert.match((await dl).suggestedFilename(), /^vibe-crm-demo-shop-metrics-\d{4}-\d\d-\d\d\.csv$/);
await page.keyboard.press('Escape');
await page.getByTestId('language-switch').selectOption('en');
assert.equal(await page.locator('[data-testid=metric-total_users] h3').textContent(), 'Total users');
await page.getByTestId('theme-toggle').click();
await shot('dashboard-dark-en');
await page.getByTestId('nav-users').click();
await page.getByTestId('all-users-row').first().waitFor();
assert.equal(await page.getByTestId('all-users-range').textContent(), '1–50 of 120');
await shot('users');
await page.getByTestId('nav-settings').click();
await page.getByTestId('settings').waitFor();
await shot('settings');
await page.getByTestId('sign-out').click();
await page.getByTestId('login-form').waitFor();
await browser.close();
server.kill();
assert.deepEqual(problems, [], 'no console errors or warnings');
console.log('mocked-backend smoke: ok');
