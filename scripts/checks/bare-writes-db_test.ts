// Stands in for hosted Supabase's `safeupdate`: no function the API can reach runs an
// UPDATE or DELETE without WHERE. Reads the database `npm test` starts (DB_URL); needs
// only catalog reads. Every SQL and PL/pgSQL function and procedure in `crm` and
// `public` is checked, triggers and jobs included: API calls reach all of them.
import assert from 'node:assert/strict';
import postgres from 'postgres';
import {
  checkFunction,
  checkSql,
  type DynamicSql,
  mergeReports,
  type Report,
} from './bare-writes.ts';

const url = Deno.env.get('DB_URL');
if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');

// EXECUTEs whose text is only known at run time (not a literal, not format() with %I/%L
// alone), reviewed by hand. Each entry names the function and the expression exactly and
// says which WHERE the built statement carries (or why it needs none).
const DYNAMIC_REVIEWED: { fn: string; expr: string; where: string }[] = [
  {
    fn: 'crm.set_report_settings(regprocedure[])',
    expr: "format('alter function %s set %s', f, v_setting)",
    where: 'none needed: ALTER FUNCTION … SET, a regprocedure and one of three fixed settings; no UPDATE or DELETE',
  },
];

const schemas = ['crm', 'public'];

async function load(): Promise<
  { report: Report; functions: number; byLanguage: Record<string, number> }
> {
  const sql = postgres(url!, { max: 1, onnotice: () => {} });
  try {
    const fns = await sql<{ name: string; language: string; src: string; def: string }[]>`
      select format('%s.%s(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)) as name,
             l.lanname as language, p.prosrc as src,
             case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) else '' end as def
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
      join pg_language l on l.oid = p.prolang
      -- an aggregate has no body of its own: its transition function is checked
      where n.nspname = any(${schemas}) and p.prokind <> 'a' order by 1`;
    // A rule's actions run with the statement that fires it.
    const rules = await sql<{ name: string; def: string }[]>`
      select format('rule %s on %s', r.rulename, r.ev_class::regclass) as name, pg_get_ruledef(r.oid) as def
      from pg_rewrite r
      join pg_class c on c.oid = r.ev_class
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any(${schemas}) and r.rulename <> '_RETURN' order by 1`;
    const byLanguage: Record<string, number> = {};
    for (const f of fns) byLanguage[f.language] = (byLanguage[f.language] ?? 0) + 1;
    const report = mergeReports([
      ...fns.map((f) => checkFunction({ ...f, def: f.def ?? '' })),
      ...rules.map((r) => checkSql(r.def, r.name)),
    ]);
    return { report, functions: fns.length, byLanguage };
  } finally {
    await sql.end();
  }
}

const { report, functions, byLanguage } = await load();
const at = (x: { where: string; line?: number }) => `${x.where}${x.line ? ` line ${x.line}` : ''}`;
const reviewed = (d: DynamicSql) =>
  DYNAMIC_REVIEWED.some((r) => r.fn === d.where && r.expr === d.expr);

Deno.test('the database has functions to check, all in SQL or PL/pgSQL, all parsed', () => {
  console.log(
    `checked ${functions} functions (${JSON.stringify(byLanguage)}), ${report.texts} SQL texts, ` +
      `${report.writes} UPDATE/DELETE statements, ${report.dynamic.length} EXECUTEs ` +
      `(${
        report.dynamic.filter((d) => d.resolved !== undefined).length
      } with a text known in advance)`,
  );
  assert.ok(
    (byLanguage.plpgsql ?? 0) > 0 && (byLanguage.sql ?? 0) > 0,
    'no functions found: wrong database?',
  );
  assert.ok(report.writes > 0, 'no UPDATE/DELETE seen at all: the walk is broken');
  assert.deepEqual(report.problems.map((p) => `${at(p)}: ${p.message} — ${p.text}`), []);
});

Deno.test('no UPDATE or DELETE without WHERE in any API-reachable function', () => {
  assert.deepEqual(
    report.bare.map((b) => `${at(b)}: ${b.kind} ${b.table} without WHERE — ${b.statement}`),
    [],
  );
});

Deno.test('every EXECUTE has a text known in advance, or is reviewed by hand', () => {
  for (const d of report.dynamic) {
    console.log(
      `  EXECUTE in ${at(d)}: ${d.resolved?.replace(/\s+/g, ' ') ?? `(run-time text) ${d.expr}`}`,
    );
  }
  const unknown = report.dynamic.filter((d) => d.resolved === undefined && !reviewed(d));
  assert.deepEqual(unknown.map((d) => `${at(d)}: ${d.expr}`), []);
  const stale = DYNAMIC_REVIEWED.filter((r) =>
    !report.dynamic.some((d) => d.where === r.fn && d.expr === r.expr)
  );
  assert.deepEqual(stale, [], 'reviewed EXECUTEs that no longer exist');
});
