// The auth.users triggers as Supabase Auth meets them: its writes come from its own role
// (supabase_auth_admin, which has no rights on the crm schema), and a CRM failure must
// never fail them. Two sessions, so not pgTAP: DB_URL (the owner) sets up, the other
// connection logs in as Auth does.
import assert from 'node:assert/strict';
import postgres from 'npm:postgres@3.4.9';
import { serviceRoleUrl } from '../../scripts/gateway/config.ts';

const url = Deno.env.get('DB_URL');
if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');

/** Runs the erasure job until the person is gone (pg_cron's own run may hold the request a moment). */
async function erasedSoon(owner: postgres.Sql, project: string, visitor: string) {
  for (let i = 0; i < 50; i++) {
    await owner`select crm.job_auth_erasures()`;
    const [left] = await owner`select count(*)::int as n from crm.site_users where project_id = ${project} and id = ${visitor}`;
    if (left!.n === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** A project with one person who signed in as a new auth user (a verified token's verdict). */
async function signedInPerson(owner: postgres.Sql) {
  const [p] = await owner`insert into crm.projects (name) values ('auth users test') returning id, public_key`;
  const [u] = await owner`insert into auth.users (email) values (${`ann-${crypto.randomUUID()}@shop.example`}) returning id, email`;
  const visitor = crypto.randomUUID(), ev = crypto.randomUUID();
  const batch = {
    project: p!.public_key, sent_at: Date.now(), visitor_id: visitor, session_id: crypto.randomUUID(),
    events: [{ id: crypto.randomUUID(), type: 'pageview', ts: Date.now(), path: '/' }, { id: ev, type: 'identify', ts: Date.now(), path: '/' }],
  };
  const context = { ip_hash: 'ip', user_agent: 'test', auth: { [ev]: { sub: u!.id, email: u!.email, trust: 'own' } } };
  const [r] = await owner`select crm.ingest(${JSON.stringify(batch)}::text::json, ${JSON.stringify(context)}::text::json) as r`;
  assert.deepEqual(r!.r.rejected, [], JSON.stringify(r!.r));
  return { project: p!.id as string, authUser: u!.id as string, visitor };
}

function sessions() {
  const warnings: string[] = [];
  const owner = postgres(url!, { max: 2, onnotice: () => {} });
  const auth = postgres(serviceRoleUrl(url!, 'supabase_auth_admin'), {
    max: 1,
    onnotice: (n) => void (n.severity === 'WARNING' && warnings.push(n.message)),
  });
  return { owner, auth, warnings };
}

Deno.test("Auth's own role changes an email and deletes a user: the person follows, though that role cannot touch crm", async () => {
  const { owner, auth } = sessions();
  const { project, authUser, visitor } = await signedInPerson(owner);
  try {
    const [priv] = await auth`select has_schema_privilege('crm', 'usage') as crm`;
    assert.equal(priv!.crm, false, 'supabase_auth_admin has no rights on crm: the triggers are security definer');
    await auth`update auth.users set email = 'Ann.Moved@Shop.example' where id = ${authUser}`;
    const [p1] = await owner`select email, email_verified from crm.site_users where project_id = ${project} and id = ${visitor}`;
    assert.deepEqual({ ...p1 }, { email: 'ann.moved@shop.example', email_verified: true });

    await auth`delete from auth.users where id = ${authUser}`;
    // The delete queues the erasure; the job (pg_cron's run, or this one) carries it out.
    assert.ok(await erasedSoon(owner, project, visitor), 'the deleted auth user is erased');
    const [e] = await owner`select count(*)::int as n from crm.erased_ids where project_id = ${project} and anonymous_id = ${visitor}`;
    assert.equal(e!.n, 1, 'and their visitor id is refused from now on');
  } finally {
    await owner`delete from crm.projects where id = ${project}`;
    await owner`delete from auth.users where id = ${authUser}`;
    await owner.end();
    await auth.end();
  }
});

Deno.test("when the CRM cannot follow (its row is locked past Auth's lock timeout), Auth's writes still succeed; the erasure waits in its queue", async () => {
  const { owner, auth, warnings } = sessions();
  const { project, authUser, visitor } = await signedInPerson(owner);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  // The owner holds the person's row (and the visitor's ingest lock) until released.
  const holder = owner.begin(async (tx) => {
    await tx`select crm.visitor_lock(${project}, ${visitor}) as k, pg_advisory_xact_lock(crm.visitor_lock(${project}, ${visitor}))`;
    await tx`select 1 from crm.site_users where project_id = ${project} and id = ${visitor} for update`;
    locked();
    await held;
  });
  try {
    await isLocked;
    await auth.begin(async (tx) => {
      await tx`set local lock_timeout = '300ms'`;
      await tx`update auth.users set email = 'ann.locked@shop.example' where id = ${authUser}`;
      await tx`delete from auth.users where id = ${authUser}`;
    });
    const [gone] = await owner`select count(*)::int as n from auth.users where id = ${authUser}`;
    assert.equal(gone!.n, 0, "Auth's update and delete committed");
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`^vibe crm: the email change of auth user ${authUser} was not copied to the CRM: .*\\(55P03\\)$`));
    // The delete only queued the erasure: nothing of it waited on the locked person.
    const [q] = await owner`select count(*)::int as n from crm.auth_erasures where project_id = ${project} and user_id = ${visitor}`;
    assert.equal(q!.n, 1);
    release();
    await holder;
    assert.ok(await erasedSoon(owner, project, visitor), 'once the lock is gone, the job erases the person');
  } finally {
    release();
    await holder.catch(() => {});
    await owner`delete from crm.projects where id = ${project}`;
    await owner`delete from auth.users where id = ${authUser}`;
    await owner.end();
    await auth.end();
  }
});
