// pg_cron as on hosted: a job scheduled by `postgres` (not a superuser) really runs, as
// `postgres`, over pg_cron's own connection. pgTAP cannot wait for a run; this can.
import assert from 'node:assert/strict';
import postgres from 'npm:postgres@3.4.9';

const url = Deno.env.get('DB_URL');
if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');

// Debian's pg_cron (1.4) has no seconds schedule: this waits for the project's own
// every-minute job, which the migrations scheduled as postgres.
Deno.test('the every-minute job that the migrations scheduled runs as postgres', async () => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [who] = await sql`select rolsuper from pg_roles where rolname = current_user`;
    assert.equal(who!.rolsuper, false, 'the test connects as a non-superuser, as on hosted');
    let run: { status: string; username: string; return_message: string } | undefined;
    for (let i = 0; i < 140 && !run; i++) {
      [run] = await sql`select d.status, j.username, d.return_message
                          from cron.job_run_details d join cron.job j using (jobid)
                         where j.jobname = 'crm-close-sessions' and d.status in ('succeeded', 'failed')
                         order by d.end_time desc limit 1`;
      if (!run) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(run, 'crm-close-sessions ran within 70 s');
    assert.deepEqual({ status: run.status, username: run.username }, { status: 'succeeded', username: 'postgres' },
      `the run said: ${run.return_message}`);
  } finally {
    await sql.end();
  }
});
