import assert from 'node:assert/strict';
import {
  argText,
  contentRange,
  freshnessCheck,
  type FunctionInfo,
  inputParams,
  pgArrayLiteral,
  planCall,
  RpcError,
  statusForSqlState,
} from './rpc.ts';

const fn = (over: Partial<FunctionInfo>): FunctionInfo => ({
  name: 'f',
  oid: 1,
  version: '1',
  returnsSet: false,
  returnType: 'int4',
  returnsComposite: false,
  defaults: 0,
  argNames: [],
  argModes: [],
  argTypes: [],
  argCategories: [],
  ...over,
});

const add = fn({
  argNames: ['a', 'b'],
  argModes: ['i', 'i'],
  argTypes: ['integer', 'integer'],
  argCategories: ['N', 'N'],
  defaults: 1,
});

Deno.test('parameters: trailing defaults, OUT arguments are not inputs', () => {
  const p = inputParams(fn({
    argNames: ['a', 'b', 'x'],
    argModes: ['i', 'i', 'o'],
    argTypes: ['integer', 'text', 'integer'],
    argCategories: ['N', 'S', 'N'],
    defaults: 1,
  }));
  assert.deepEqual(p.map((x) => [x.name, x.hasDefault]), [['a', false], ['b', true]]);
});

Deno.test('named call: omitted defaults, text-bound arguments cast to their type', () => {
  const plan = planCall('f', [add], { a: 1 }, false);
  assert.equal(
    plan.sql,
    'select to_json(public."f"("a" => $1::text::integer))::text as body, 1 as n',
  );
  assert.deepEqual(plan.params, ['1']);
  assert.equal(plan.shape, 'scalar');
});

Deno.test('unknown or missing arguments and unknown functions are PGRST202 (404)', () => {
  const bad: [FunctionInfo[], Record<string, number>][] = [[[add], { b: 1 }], [[add], {
    a: 1,
    c: 2,
  }], [[], {}]];
  for (const [cands, args] of bad) {
    assert.throws(() => planCall('f', cands, args, false), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, 'PGRST202');
      assert.equal(e.status, 404);
      return true;
    });
  }
  assert.throws(
    () => planCall('f', [add, add], { a: 1 }, false),
    (e: unknown) => (e as RpcError).code === 'PGRST203',
  );
});

Deno.test('a single unnamed json parameter receives the whole body', () => {
  const one = fn({
    argNames: [''],
    argModes: ['i'],
    argTypes: ['jsonb'],
    argCategories: ['U'],
    returnType: 'jsonb',
  });
  const plan = planCall('f', [one], { any: [1] }, false);
  assert.deepEqual(plan.params, ['{"any":[1]}']);
  assert.match(plan.sql, /public\."f"\(\$1::text::jsonb\)/);
});

Deno.test('result shapes: void, set, composite', () => {
  assert.equal(planCall('f', [fn({ returnType: 'void' })], {}, false).shape, 'void');
  assert.equal(planCall('f', [fn({ returnsSet: true })], {}, false).shape, 'set');
  assert.equal(
    planCall('f', [fn({ returnsComposite: true, returnType: 'record' })], {}, false).shape,
    'composite',
  );
});

Deno.test('array arguments become Postgres array literals with quoting', () => {
  assert.equal(
    pgArrayLiteral(['a', 'b "q"', null, 'c\\d', [1, 2]]),
    '{"a","b \\"q\\"",NULL,"c\\\\d",{"1","2"}}',
  );
  const tags = { name: 't', type: 'text[]', isArray: true, variadic: false, hasDefault: false };
  assert.equal(argText(['x'], tags), '{"x"}');
  assert.equal(argText({ k: 1 }, { ...tags, type: 'jsonb', isArray: false }), '{"k":1}');
  assert.equal(argText(null, tags), null);
  assert.equal(argText(true, tags), 'true');
});

Deno.test("SQLSTATE → HTTP follows PostgREST's table", () => {
  const cases: [string, string, number][] = [
    ['P0001', 'anon', 400],
    ['22023', 'anon', 400],
    ['23505', 'anon', 409],
    ['23503', 'anon', 409],
    ['42501', 'anon', 401],
    ['42501', 'authenticated', 403],
    ['42883', 'anon', 404],
    ['P0002', 'anon', 500],
    ['PT418', 'anon', 418],
    ['25006', 'anon', 405],
    ['08006', 'anon', 503],
    ['22P02', 'anon', 400],
  ];
  for (const [code, role, status] of cases) {
    assert.equal(statusForSqlState(code, role), status, `${code} as ${role}`);
  }
});

Deno.test('Content-Range for sets, scalars, empty results and exact counts', () => {
  assert.equal(contentRange('set', 3, false), '0-2/*');
  assert.equal(contentRange('set', 3, true), '0-2/3');
  assert.equal(contentRange('set', 0, true), '*/0');
  assert.equal(contentRange('scalar', 1, true), '0-0/1');
});

Deno.test('the freshness check names the function literally and only accepts numeric identities', () => {
  const sql = freshnessCheck(fn({ name: "it's", oid: 42, version: '777' }));
  assert.match(sql, /oid = 42 and xmin = '777'::xid/);
  assert.match(sql, /proname = \$v[0-9a-f]{12}\$it's\$v[0-9a-f]{12}\$::name/);
  assert.throws(() => freshnessCheck(fn({ version: "1'; drop table x; --" })));
});
