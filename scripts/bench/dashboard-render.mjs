// `npm run bench:dashboard`: time to the first render of the CRM page with data (metric
// cards + live table, then the chart) in Debian's Chromium against the dev stack,
// logged in as the seed's demo owner. Goal: ≤ 1.5 s. Loopback only, 10 reloads.
import { dashboardUrl as url, openDashboard } from '../stack/dashboard-browser.mjs';

const { browser, page } = await openDashboard();

const live = [];
const chart = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  await page.reload();
  await page.getByTestId('metric-total_users-value').waitFor();
  await page.getByTestId('active-user-row').first().waitFor();
  live.push(performance.now() - t0);
  await page.getByTestId('dau-chart').locator('svg').first().waitFor();
  chart.push(performance.now() - t0);
}
await browser.close();

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
console.log(`first render of ${url} with data (10 reloads, logged in):`);
console.log('| what | p50 ms | p95 ms | goal |');
console.log('|---|---:|---:|---|');
console.log(`| metric cards + live table | ${pct(live, 50).toFixed(0)} | ${pct(live, 95).toFixed(0)} | ≤ 1,500 ms |`);
console.log(`| … and the DAU chart | ${pct(chart, 50).toFixed(0)} | ${pct(chart, 95).toFixed(0)} | — |`);
