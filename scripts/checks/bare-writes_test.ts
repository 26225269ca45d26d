// The checker on known bodies: each bad one must be reported, each good one must pass.
import assert from 'node:assert/strict';
import {
  checkFunction,
  checkPlpgsql,
  checkSql,
  declareAsRecord,
  dynamicTemplate,
  type Report,
} from './bare-writes.ts';

const kinds = (r: Report) => r.bare.map((b) => `${b.kind} ${b.table}`);
// Lines count from the line of the opening $$, as PostgreSQL's own error context does.
const plpgsql = (body: string, returns = 'void') =>
  `create function crm.f(p_id bigint, p_t text) returns ${returns} language plpgsql as $$${body}\n$$;`;

Deno.test('bare UPDATE and DELETE are reported, with table and line', () => {
  const r = checkSql('select 1;\ndelete from crm.x;\nupdate crm.x set a = 1;', 'sql body');
  assert.deepEqual(kinds(r), ['DELETE crm.x', 'UPDATE crm.x']);
  assert.deepEqual(r.bare.map((b) => b.line), [2, 3]);
  assert.equal(r.bare[1]!.statement, 'update crm.x set a = 1');
  assert.equal(r.writes, 2);
});

Deno.test('a bare write at any depth: CTE, nested CTE, atomic body, USING/FROM without WHERE', () => {
  for (
    const sql of [
      'with d as (delete from crm.x returning *) select count(*) from d',
      'with a as (select 1), u as (update crm.x set a = 1 returning a) insert into crm.y select a from u',
      'with d as (delete from crm.z where id = 1 returning id) update crm.x set a = 1 from d',
      'delete from crm.x using crm.y',
      'create function crm.f() returns void language sql begin atomic delete from crm.x; end',
    ]
  ) {
    const r = checkSql(sql, 't');
    assert.equal(r.problems.length, 0, sql);
    assert.equal(r.bare.length, 1, `${sql} → ${JSON.stringify(r.bare)}`);
  }
});

Deno.test('writes with WHERE pass; TRUNCATE, ON CONFLICT DO UPDATE and MERGE are no UPDATE/DELETE', () => {
  for (
    const sql of [
      'delete from crm.x where id = $1',
      'update crm.x set a = 1 where true',
      'update crm.x set a = 1 where current of c',
      'delete from crm.x where current of c',
      'with d as (delete from crm.x where a < now() returning *) select count(*) from d',
      'truncate crm.x',
      'insert into crm.x (id, a) values (1, 2) on conflict (id) do update set a = excluded.a',
      'merge into crm.x t using crm.y s on t.id = s.id when matched then delete',
      "select 'delete from crm.x' -- update crm.x set a = 1",
    ]
  ) {
    const r = checkSql(sql, 't');
    assert.equal(r.problems.length, 0, sql);
    assert.deepEqual(r.bare, [], sql);
  }
});

Deno.test('SQL that does not parse is a problem, never a pass', () => {
  const r = checkSql('delete crm.x', 't');
  assert.equal(r.problems.length, 1);
  assert.equal(r.texts, 0);
});

Deno.test('PL/pgSQL: a bare delete inside IF, loops, CTEs, assignments and defaults is found', () => {
  const r = checkPlpgsql(
    plpgsql(`declare
  n int := (select count(*) from crm.a);
  r record;
begin
  if p_id > 0 then
    delete from crm.x;
  else
    update crm.y set a = 1 where id = p_id;
  end if;
  for r in select * from crm.z loop
    update crm.z set a = 2;
  end loop;
  with d as (delete from crm.w returning 1) select count(*) into n from d;
  n := (select count(*) from crm.a where id = p_id);
  perform 1;
exception when others then
  delete from crm.v;
end;`),
    'crm.f(bigint,text)',
  );
  assert.deepEqual(r.problems, []);
  assert.deepEqual(kinds(r), ['DELETE crm.x', 'UPDATE crm.z', 'DELETE crm.w', 'DELETE crm.v']);
  assert.deepEqual(r.bare.map((b) => b.line), [6, 11, 13, 17]);
  assert.equal(r.writes, 5);
});

Deno.test('PL/pgSQL: a clean function passes, cursor updates included', () => {
  const r = checkPlpgsql(
    plpgsql(
      `declare c cursor for select * from crm.x for update; r record;
begin
  for r in c loop
    update crm.x set a = 1 where current of c;
  end loop;
  delete from crm.x where id = p_id;
  truncate crm.y;
  return query select 1;
end;`,
      'setof int',
    ),
    'crm.f(bigint,text)',
  );
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.bare, []);
  assert.equal(r.writes, 2);
});

Deno.test('dynamic SQL: literal and format(%I/%L) texts are parsed, anything else is unresolved', () => {
  assert.equal(dynamicTemplate("'delete from crm.x'"), 'delete from crm.x');
  assert.equal(
    dynamicTemplate("format('delete from crm.%I where d < %L', v, w)"),
    "delete from crm.x where d < 'x'",
  );
  assert.equal(dynamicTemplate("format('delete from %s', v)"), undefined);
  assert.equal(dynamicTemplate("'delete from crm.' || v"), undefined);
  assert.equal(dynamicTemplate('v_sql'), undefined);

  const r = checkPlpgsql(
    plpgsql(
      `declare v_sql text := 'select 1';
begin
  execute 'delete from crm.x';
  execute format('update crm.%I set a = 1', p_t);
  execute format('delete from crm.%I where id = %L', p_t, p_id);
  execute v_sql;
  return query execute 'select 1 from crm.y where id = $1' using p_id;
end;`,
      'setof int',
    ),
    'crm.f(bigint,text)',
  );
  assert.deepEqual(r.problems, []);
  assert.deepEqual(kinds(r), ['DELETE crm.x', 'UPDATE crm.x']);
  assert.deepEqual(r.dynamic.map((d) => [d.line, d.resolved !== undefined]), [
    [3, true],
    [4, true],
    [5, true],
    [6, false],
    [7, true],
  ]);
});

Deno.test('functions by language: sql prosrc, atomic sql body, plpgsql; others are problems', () => {
  const sql = checkFunction({ name: 's', language: 'sql', src: 'delete from crm.x', def: '' });
  assert.equal(sql.bare.length, 1);
  const atomic = checkFunction({
    name: 'a',
    language: 'sql',
    src: '',
    def:
      'create function crm.a() returns void language sql begin atomic update crm.x set a = 1; end',
  });
  assert.equal(atomic.bare.length, 1);
  const c = checkFunction({ name: 'c', language: 'c', src: 'f', def: '' });
  assert.equal(c.problems.length, 1);
});

Deno.test('PL/pgSQL: fields of composite-typed variables parse (declared as record), the rest is kept', () => {
  const body = `declare
  v_b crm.ingest_batch;
  v_n int := 0;
begin
  v_b.visitor_id := p_id;
  select a.user_id into v_b.user_id from crm.a a where a.id = v_b.visitor_id;
  delete from crm.x;
end;`;
  const r = checkPlpgsql(plpgsql(body), 'crm.f(bigint,text)');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(kinds(r), ['DELETE crm.x']);
  assert.ok(declareAsRecord(plpgsql(body), 'v_b')?.includes('v_b record;'));
  assert.equal(declareAsRecord(plpgsql(body), 'v_missing'), undefined);
});

Deno.test('PL/pgSQL that does not compile is a problem naming the error, never a pass', () => {
  const r = checkPlpgsql(plpgsql('begin\n  return query select 1;\nend;'), 'f');
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0]!.message, /RETURN QUERY/i);
  const s = checkPlpgsql(plpgsql('begin\n  delete crm.x;\nend;'), 'f');
  assert.equal(s.problems.length, 1);
});
