// The PostgREST RPC subset as pure functions: how a function is looked up, how a
// call with named arguments is built, and how Postgres errors map to HTTP.

import { sqlLiteral } from './sql-literal.ts';

/** The candidate functions of one name (`$1`) in `public`, as a JSON array. */
export const LOOKUP_SQL = `select (select coalesce(json_agg(f), '[]')::text from (
  select p.proname as name, p.oid::int8 as oid, p.xmin::text as version,
         p.proretset as "returnsSet", t.typname as "returnType",
         t.typtype = 'c' or (p.prorettype = 'record'::regtype and not p.proretset
                             and 'o' = any(coalesce(p.proargmodes::text[], '{}'))) as "returnsComposite",
         p.pronargdefaults as "defaults",
         array(select coalesce(p.proargnames[i], '') from generate_series(1, cardinality(coalesce(p.proallargtypes, p.proargtypes::oid[]))) i order by i) as "argNames",
         array(select coalesce(p.proargmodes[i]::text, 'i') from generate_series(1, cardinality(coalesce(p.proallargtypes, p.proargtypes::oid[]))) i order by i) as "argModes",
         array(select format_type(a, null) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(a, i) order by i) as "argTypes",
         array(select (select typcategory from pg_type where oid = a) from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(a, i) order by i) as "argCategories"
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    join pg_type t on t.oid = p.prorettype
   where n.nspname = 'public' and p.proname = $1::name and p.prokind = 'f') f) as fns`;

export interface FunctionInfo {
  name: string;
  /** pg_proc oid and row version (xmin): a cached lookup is valid while both hold. */
  oid: number;
  version: string;
  returnsSet: boolean;
  returnType: string;
  returnsComposite: boolean;
  defaults: number;
  argNames: string[];
  argModes: string[];
  argTypes: string[];
  argCategories: string[];
}

export const STALE_LOOKUP = 'vibe-gateway-stale-lookup';

/**
 * A select item that fails (22P02, message naming STALE_LOOKUP) unless `fn` is still
 * the only function of its name in `public`, unchanged. It lets the gateway reuse a
 * lookup and still see every CREATE OR REPLACE, DROP or new overload at once.
 */
export function freshnessCheck(fn: FunctionInfo): string {
  const oid = Number(fn.oid);
  if (!Number.isInteger(oid) || !/^\d+$/.test(fn.version)) throw new Error('bad function identity');
  return `(select case when count(*) = 1 and bool_and(oid = ${oid} and xmin = '${fn.version}'::xid) then 0
     else ('${STALE_LOOKUP} ' || count(*))::int end
     from pg_proc where pronamespace = 'public'::regnamespace and proname = ${
    sqlLiteral(fn.name)
  }::name
      and prokind = 'f') as fresh`;
}

export interface Param {
  name: string;
  type: string;
  isArray: boolean;
  variadic: boolean;
  hasDefault: boolean;
}

export type ResultShape = 'void' | 'set' | 'composite' | 'scalar';

/** How argument values enter the call: `$n` parameters, or inline literals. */
export interface Binder {
  bind(value: string | null): string;
  params: (string | null)[];
}

export function positional(): Binder {
  const params: (string | null)[] = [];
  return { params, bind: (v) => (params.push(v), `$${params.length}`) };
}

export function inline(): Binder {
  return { params: [], bind: sqlLiteral };
}

export interface CallPlan {
  sql: string;
  params: (string | null)[];
  shape: ResultShape;
}

export class RpcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
  body() {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

export function inputParams(fn: FunctionInfo): Param[] {
  const params: Param[] = [];
  fn.argModes.forEach((mode, i) => {
    if (mode === 'i' || mode === 'b' || mode === 'v') {
      params.push({
        name: fn.argNames[i] ?? '',
        type: fn.argTypes[i]!,
        isArray: fn.argCategories[i] === 'A',
        variadic: mode === 'v',
        hasDefault: false,
      });
    }
  });
  // pronargdefaults counts the trailing input parameters that have defaults.
  for (let i = params.length - fn.defaults; i < params.length; i++) params[i]!.hasDefault = true;
  return params;
}

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A Postgres array literal from a JSON array, e.g. ["a", null] → {"a",NULL}. */
export function pgArrayLiteral(value: unknown[]): string {
  const item = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return pgArrayLiteral(v);
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  };
  return `{${value.map(item).join(',')}}`;
}

/**
 * A JSON argument as the text Postgres casts to the parameter's type. Every argument
 * is bound as text (`$n::text::type`): left to infer, the driver would re-serialise
 * by type and turn a JSON text into a jsonb string.
 */
export function argText(value: unknown, param: Param): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value) && param.isArray) return pgArrayLiteral(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function notFound(name: string, keys: string[]): RpcError {
  const sig = keys.length
    ? `public.${name}(${[...keys].sort().join(', ')})`
    : `public.${name} without parameters`;
  return new RpcError(
    404,
    'PGRST202',
    `Could not find the function ${sig} in the schema cache`,
    `Searched for the function public.${name}${
      keys.length ? ` with parameters ${[...keys].sort().join(', ')}` : ' without parameters'
    } or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    null,
  );
}

/**
 * Picks the function for the given arguments and builds its call. `args` is the JSON
 * body (POST) or the query parameters (GET/HEAD, all strings).
 */
export function planCall(
  name: string,
  candidates: FunctionInfo[],
  args: unknown,
  fromQuery: boolean,
  binder: Binder = positional(),
): CallPlan {
  if (candidates.length > 1) {
    throw new RpcError(
      300,
      'PGRST203',
      `Could not choose the best candidate function between: ${
        candidates.map((c) => `public.${c.name}`).join(', ')
      }`,
      null,
      'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
    );
  }
  const fn = candidates[0];
  const isObject = typeof args === 'object' && args !== null && !Array.isArray(args);
  const keys = isObject ? Object.keys(args as object) : [];
  if (!fn) throw notFound(name, keys);
  const params = inputParams(fn);
  const fq = `public.${quoteIdent(fn.name)}`;
  let call: string;

  const single = params.length === 1 && params[0]!.name === '' &&
    ['json', 'jsonb'].includes(params[0]!.type);
  if (single && !fromQuery) {
    call = `${fq}(${binder.bind(JSON.stringify(args ?? {}))}::text::${params[0]!.type})`;
  } else {
    if (args !== undefined && !isObject) {
      throw new RpcError(
        400,
        'PGRST102',
        'Empty or invalid json',
        'The request body must be a JSON object of named arguments',
      );
    }
    const byName = new Map(params.map((p) => [p.name, p]));
    const unknown = keys.some((k) => !byName.has(k));
    const missing = params.some((p) => !p.hasDefault && !keys.includes(p.name));
    if (unknown || missing) throw notFound(name, keys);
    const parts = params.filter((p) => keys.includes(p.name)).map((p) => {
      const value = binder.bind(argText((args as Record<string, unknown>)[p.name], p));
      return `${p.variadic ? 'variadic ' : ''}${quoteIdent(p.name)} => ${value}::text::${p.type}`;
    });
    call = `${fq}(${parts.join(', ')})`;
  }

  const shape: ResultShape = fn.returnType === 'void' && !fn.returnsSet
    ? 'void'
    : fn.returnsSet
    ? 'set'
    : fn.returnsComposite
    ? 'composite'
    : 'scalar';
  const sql = {
    void: `select ${call}`,
    set: `select coalesce(json_agg(_r), '[]')::text as body, count(*)::int as n from ${call} _r`,
    composite: `select row_to_json(_r)::text as body, 1 as n from ${call} _r`,
    scalar: `select to_json(${call})::text as body, 1 as n`,
  }[shape];
  return { sql, params: binder.params, shape };
}

/** PostgREST's SQLSTATE → HTTP status table. */
export function statusForSqlState(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403;
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  const exact: Record<string, number> = {
    P0001: 400,
    '23503': 409,
    '23505': 409,
    '25006': 405,
    '42883': 404,
    '42P01': 404,
    '22023': 400,
  };
  if (code in exact) return exact[code]!;
  const cls = code.slice(0, 2);
  const byClass: Record<string, number> = {
    '08': 503,
    '09': 500,
    '0L': 403,
    '0P': 403,
    '25': 500,
    '28': 403,
    '2D': 500,
    '38': 500,
    '39': 500,
    '3B': 500,
    '40': 500,
    '53': 503,
    '54': 500,
    '55': 500,
    '57': 500,
    '58': 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[cls] ?? 400;
}

export function contentRange(shape: ResultShape, n: number, exact: boolean): string {
  const total = exact ? String(n) : '*';
  if (shape === 'void' || n === 0) return `*/${exact ? n : '*'}`;
  return `0-${n - 1}/${total}`;
}
