// supabase/seed.sql loaded at fixed clock times (vibe.seed_now) inside a transaction that
// is rolled back, against the test stack's database (DB_URL, as postgres). A seed loaded
// at 03:37 once put 910 active users on yesterday against 576 the day before: the past
// days must not depend on the hour the seed is loaded.
import assert from 'node:assert/strict';
import postgres from 'npm:postgres@3.4.9';

const url = Deno.env.get('DB_URL');
if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');
const DEMO = '00000000-0000-4000-8000-000000000001';
const HOURS = ['00:05', '03:37', '12:00', '23:55'];

/** The seed without its own begin/commit, so it runs inside the test's transaction. */
async function seedBody(): Promise<string> {
  const text = await Deno.readTextFile(new URL('../seed.sql', import.meta.url));
  const lines = text.split('\n');
  assert.equal(lines.filter((l) => l === 'begin;' || l === 'commit;').length, 2, 'the seed is one begin … commit');
  return lines.filter((l) => l !== 'begin;' && l !== 'commit;').join('\n');
}

interface Load {
  hour: string;
  /** active users per day, index = days before the load day (0 = the load day, partial) */
  active: number[];
  newUsers: number[];
  online: number;
  latest: { session: Date; activity: Date; event: Date };
  /** what the acquisition reports read */
  mix: {
    hosts: string[]; direct: number; mediums: string[]; campaigns: number; countries: { country: string; n: number }[];
    tagged: number; anchors: number; touchChanged: number; landingProps: number; withReferrer: number;
  };
  /** weekly cohorts of the last 8 weeks (first day, any activity), oldest first: size and % per week after */
  cohorts: { size: number; pct: number[] }[];
}

/** Loads the seed with its clock at `day` `hour` UTC (in a savepoint, rolled back). */
async function load(tx: postgres.TransactionSql, body: string, day: string, hour: string): Promise<Load> {
  const now = `${day}T${hour}:00Z`;
  let out: Load | undefined;
  await tx.savepoint(async (sp) => {
    await sp`select set_config('vibe.seed_now', ${now}, true)`;
    await sp.unsafe(body);
    const days = await sp`
      select (${day}::date - g.d::date) as back, c.active_users, c.new_users
      from generate_series(${day}::date - 55, ${day}::date, interval '1 day') g(d)
      cross join lateral crm.compute_daily_stats(${DEMO}, g.d::date) c order by back`;
    const [x] = await sp`
      select (select count(*)::int from crm.site_sessions where project_id = ${DEMO} and is_online) as online,
             (select max(started_at) from crm.site_sessions where project_id = ${DEMO}) as session,
             (select max(last_activity_at) from crm.site_sessions where project_id = ${DEMO}) as activity,
             (select max(occurred_at) from crm.user_events where project_id = ${DEMO}) as event`;
    const [mix] = await sp`
      with s as (select * from crm.site_sessions where project_id = ${DEMO})
      select (select array_agg(distinct substring(referrer from '://([^/]+)')) from s where referrer is not null) as hosts,
             (select count(*)::int from s where referrer is null and utm is null) as direct,
             (select array_agg(distinct utm ->> 'medium') from s) as mediums,
             (select count(distinct utm ->> 'campaign')::int from s) as campaigns,
             (select json_agg(c order by c.n desc) from (select country, count(*)::int as n from s group by 1) c) as countries,
             (select count(*)::int from s where entry_page like '%?%') as tagged,
             (select count(*)::int from s where entry_page like '%#%') as anchors,
             (select count(*)::int from (select user_id from s group by user_id
                having count(distinct coalesce(referrer, '') || coalesce(utm::text, '')) > 1) u) as "touchChanged",
             (select count(*)::int from crm.user_events e join s on s.id = e.session_id
               where e.project_id = ${DEMO} and e.type = 'pageview' and e.properties ->> 'referrer' = s.referrer) as "landingProps",
             (select count(*)::int from s where referrer is not null) as "withReferrer"`;
    const cohorts = await sp`
      select cohort_size as size, retained_pct::float8[] as pct
      from public.get_retention_cohorts(${DEMO}, ${day}::date - 55, ${day}::date, p_cohorts => 8) order by cohort_start`;
    out = {
      hour, active: days.map((r) => r.active_users), newUsers: days.map((r) => r.new_users), online: x!.online,
      latest: { session: x!.session, activity: x!.activity, event: x!.event }, mix: mix as Load['mix'],
      cohorts: cohorts as unknown as Load['cohorts'],
    };
    throw new Rollback();
  }).catch((e) => {
    if (!(e instanceof Rollback)) throw e;
  });
  return out!;
}
class Rollback extends Error {}

/** The seed loaded at each of HOURS of yesterday (once for all tests). */
async function loadAll(): Promise<Load[]> {
  const sql = postgres(url!, { max: 1, onnotice: () => {} });
  const body = await seedBody();
  // yesterday: every load time below is in the past, as a real load's clock is
  const day = yesterday();
  const loads: Load[] = [];
  try {
    await sql.begin(async (tx) => {
      // the test stack is seeded already: make room for the demo project (restored by the rollback)
      await tx`delete from crm.projects where id = ${DEMO}`;
      for (const hour of HOURS) loads.push(await load(tx, body, day, hour));
      throw new Rollback();
    }).catch((e) => {
      if (!(e instanceof Rollback)) throw e;
    });
  } finally {
    await sql.end();
  }
  return loads;
}
let loaded: Promise<Load[]> | undefined;
const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

Deno.test('the seeded days follow the curve whatever the hour the seed is loaded', async () => {
  const loads = await (loaded ??= loadAll());
  const day = yesterday();
  for (const l of loads) {
    const now = new Date(`${day}T${l.hour}:00Z`);
    // the seed ran on the given clock, not the real one: ~25 visits going on at that moment
    assert.ok(l.online >= 20, `${l.hour}: ${l.online} sessions online`);
    assert.ok(l.latest.session <= now && l.latest.activity <= now && l.latest.event <= now,
      `${l.hour}: nothing happens after the load time (${JSON.stringify(l.latest)})`);
    assert.ok(now.getTime() - l.latest.activity.getTime() < 5 * 60_000, `${l.hour}: the online visitors are active`);
    // the curve (8 weeks): more visitors lately, yet no day jumps a third over the day before
    for (let back = 54; back >= 1; back--) {
      const [before, after] = [l.active[back + 1]!, l.active[back]!];
      assert.ok(after <= before * 1.33 && after >= before * 0.75,
        `${l.hour}: ${after} active users ${back} day(s) back against ${before} the day before`);
    }
    // today is the part of a day until the load time: never more than a whole day (the
    // mean of the week before: one day against the next differs by up to a fifth)
    const week = l.active.slice(1, 8).reduce((a, b) => a + b, 0) / 7;
    assert.ok(l.active[0]! <= week * 1.15, `${l.hour}: today ${l.active[0]} against ${week} a day the week before`);
  }
  // past days are the same rows whatever the hour; today grows with it
  for (const l of loads.slice(1)) {
    assert.deepEqual(l.active.slice(1), loads[0]!.active.slice(1), `active users of past days at ${l.hour} = at ${HOURS[0]}`);
    assert.deepEqual(l.newUsers.slice(1), loads[0]!.newUsers.slice(1), `new users of past days at ${l.hour} = at ${HOURS[0]}`);
  }
  const today = loads.map((l) => l.active[0]!);
  assert.deepEqual([...today].sort((a, b) => a - b), today, `today grows with the hour: ${today}`);
  assert.ok(today[3]! >= loads[3]!.active[1]! * 0.8, `by 23:55 today is nearly a whole day: ${today[3]}`);
});

Deno.test('the seed fills the acquisition reports: channels, campaigns, countries, landing paths', async () => {
  const { mix } = (await (loaded ??= loadAll()))[2]!; // 12:00
  for (const host of ['www.google.com', 'www.bing.com', 'duckduckgo.com', 'l.facebook.com', 'l.instagram.com', 't.co',
    'www.linkedin.com', 'www.reddit.com', 'chatgpt.com', 'www.perplexity.ai', 'gemini.google.com',
    'copilot.microsoft.com', 'claude.ai', 'news.ycombinator.com']) {
    assert.ok(mix.hosts.includes(host), `a visit from ${host}`);
  }
  assert.ok(mix.direct > 1000, `${mix.direct} direct visits (no referrer, no utm)`);
  for (const medium of ['cpc', 'ppc', 'email', 'social']) assert.ok(mix.mediums.includes(medium), `utm_medium=${medium}`);
  assert.ok(mix.campaigns >= 5, `${mix.campaigns} campaigns`);
  assert.ok(mix.countries.length >= 15, `${mix.countries.length} countries`);
  assert.deepEqual(mix.countries.slice(0, 3).map((c) => c.country), ['NL', 'BE', 'DE'], 'weighted like a Dutch SaaS');
  assert.ok(mix.tagged > 100 && mix.anchors > 10, `landing paths with a query (${mix.tagged}) or an anchor (${mix.anchors})`);
  assert.ok(mix.touchChanged > 500, `${mix.touchChanged} users came back through another source than their first`);
  assert.equal(mix.landingProps, mix.withReferrer, 'the landing page view carries the session\'s referrer, as ingest stores it');
});

Deno.test('the seed\'s weekly cohorts decay like a product\'s: a steep first week, then a long tail', async () => {
  const { cohorts } = (await (loaded ??= loadAll()))[2]!; // 12:00
  assert.equal(cohorts.length, 8, 'eight weekly cohorts');
  // each cohort's finished weeks: the last one is the load day's week, under way
  const done = cohorts.map((c) => c.pct.slice(0, -1));
  const mean = (k: number) => {
    const xs = done.filter((p) => p.length > k).map((p) => p[k]!);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  for (const [i, p] of done.entries()) {
    assert.ok(cohorts[i]!.size >= 300, `cohort ${i}: ${cohorts[i]!.size} people`);
    if (p.length > 1) assert.ok(p[1]! >= 10 && p[1]! <= 40, `cohort ${i}: ${p[1]}% back in week 1`);
    // not random: no finished week keeps more than the week before it, give or take 4
    // points (a few hundred people a cohort: a point or two is chance)
    for (let k = 2; k < p.length; k++) assert.ok(p[k]! <= p[k - 1]! + 4, `cohort ${i}: week ${k} ${p[k]}% after ${p[k - 1]}%`);
  }
  // not flat, and no cliff: on average week 1 > week 2 > week 4, yet a tail is still there
  assert.ok(mean(1) > mean(2) && mean(2) > mean(4), `mean % back in weeks 1, 2, 4: ${mean(1)}, ${mean(2)}, ${mean(4)}`);
  assert.ok(mean(1) >= 1.8 * mean(4), `week 1 (${mean(1)}%) well above week 4 (${mean(4)}%)`);
  assert.ok(mean(6) >= 3, `${mean(6)}% still come back in week 6`);
});
