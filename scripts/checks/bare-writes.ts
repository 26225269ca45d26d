// Finds UPDATE and DELETE statements without a WHERE clause in SQL and PL/pgSQL function
// bodies, with PostgreSQL's own parser (libpg_query as WASM). Hosted Supabase loads
// `safeupdate` for API sessions, which refuses such statements at run time; the local
// stack cannot load it, so this check stands in for it (docs/local-stack.md).
import { loadModule, parsePlPgSQLSync, parseSync, scanSync } from '@libpg-query/parser';

await loadModule();

export interface BareWrite {
  where: string;
  line?: number;
  kind: 'UPDATE' | 'DELETE';
  table: string;
  statement: string;
}

export interface DynamicSql {
  where: string;
  line?: number;
  /** The EXECUTE's string expression as written. */
  expr: string;
  /** The statement text when it is known before run time (a literal, or format() with %I/%L). */
  resolved?: string;
}

export interface Problem {
  where: string;
  line?: number;
  message: string;
  text: string;
}

export interface Report {
  /** SQL texts parsed: statements, embedded PL/pgSQL queries and expressions. */
  texts: number;
  /** UPDATE and DELETE statements seen, with or without WHERE. */
  writes: number;
  bare: BareWrite[];
  dynamic: DynamicSql[];
  problems: Problem[];
}

export interface FunctionSource {
  name: string;
  language: string;
  /** pg_proc.prosrc */
  src: string;
  /** pg_get_functiondef(oid): the full CREATE FUNCTION statement */
  def: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const emptyReport = (): Report => ({
  texts: 0,
  writes: 0,
  bare: [],
  dynamic: [],
  problems: [],
});

export function mergeReports(reports: Report[]): Report {
  const all = emptyReport();
  for (const r of reports) {
    all.texts += r.texts;
    all.writes += r.writes;
    all.bare.push(...r.bare);
    all.dynamic.push(...r.dynamic);
    all.problems.push(...r.problems);
  }
  return all;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 300);

/** Every UpdateStmt/DeleteStmt at any depth (CTEs, subqueries, rule actions, atomic bodies). */
function findWrites(node: unknown, found: { kind: 'UPDATE' | 'DELETE'; stmt: Obj }[]): void {
  if (Array.isArray(node)) {
    for (const n of node) findWrites(n, found);
    return;
  }
  if (!isObj(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'UpdateStmt' || key === 'DeleteStmt') && isObj(value)) {
      found.push({ kind: key === 'UpdateStmt' ? 'UPDATE' : 'DELETE', stmt: value });
    }
    findWrites(value, found);
  }
}

function tableName(stmt: Obj): string {
  const rel = isObj(stmt.relation) ? stmt.relation : {};
  return [rel.schemaname, rel.relname].filter((p) => typeof p === 'string').join('.');
}

/**
 * Parses SQL text and reports each UPDATE/DELETE without WHERE. As safeupdate, only a
 * missing WHERE counts: `where true` and `where current of c` pass, TRUNCATE is not a
 * DELETE, and INSERT … ON CONFLICT DO UPDATE and MERGE are not UPDATE statements.
 */
export function checkSql(sql: string, where: string, line?: number): Report {
  const report = emptyReport();
  let tree: Obj;
  try {
    tree = parseSync(sql) as unknown as Obj;
  } catch (err) {
    report.problems.push({
      where,
      line,
      message: `does not parse: ${(err as Error).message}`,
      text: oneLine(sql),
    });
    return report;
  }
  report.texts = 1;
  // Statement locations are byte offsets into the UTF-8 text.
  const bytes = new TextEncoder().encode(sql);
  const dec = new TextDecoder();
  // A statement's location includes the blanks and comments before it: its line is its first token's.
  const starts = line === undefined ? scanSync(sql).tokens.map((t) => t.start) : [];
  for (const raw of (tree.stmts as Obj[] | undefined) ?? []) {
    const found: { kind: 'UPDATE' | 'DELETE'; stmt: Obj }[] = [];
    findWrites(raw.stmt, found);
    report.writes += found.length;
    const start = Number(raw.stmt_location ?? 0);
    const len = Number(raw.stmt_len ?? 0);
    const text = dec.decode(bytes.subarray(start, len > 0 ? start + len : bytes.length));
    const first = starts.find((s) => s >= start) ?? start;
    const stmtLine = line ?? 1 + (dec.decode(bytes.subarray(0, first)).match(/\n/g)?.length ?? 0);
    for (const { kind, stmt } of found) {
      if (stmt.whereClause === undefined || stmt.whereClause === null) {
        report.bare.push({
          where,
          line: stmtLine,
          kind,
          table: tableName(stmt),
          statement: oneLine(text),
        });
      }
    }
  }
  return report;
}

/** The right-hand side of a PL/pgSQL assignment `target := expr` (or `=`), by tokens. */
function assignmentValue(query: string): string | undefined {
  let depth = 0;
  for (const t of scanSync(query).tokens) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && (t.text === ':=' || t.text === '=')) {
      return new TextDecoder().decode(new TextEncoder().encode(query).subarray(t.end));
    }
  }
  return undefined;
}

/** The single value of `select <expr>` when expr is a string constant (casts unwrapped). */
function stringConst(node: unknown): string | undefined {
  if (!isObj(node)) return undefined;
  if (isObj(node.TypeCast)) return stringConst(node.TypeCast.arg);
  const c = node.A_Const;
  if (isObj(c) && isObj(c.sval) && typeof c.sval.sval === 'string') return c.sval.sval;
  return undefined;
}

/**
 * The text an EXECUTE will run, when it is fixed before run time: a string literal, or
 * format() of a literal template whose only placeholders are %I (an identifier) and %L
 * (a literal), which cannot change the statement's shape. Anything else (%s, ||, a
 * variable) is unknown: undefined.
 */
export function dynamicTemplate(expr: string): string | undefined {
  let target: unknown;
  try {
    const stmts = (parseSync(`select ${expr}`) as unknown as Obj).stmts as Obj[];
    const select = isObj(stmts[0]?.stmt) ? (stmts[0].stmt as Obj).SelectStmt : undefined;
    const list = isObj(select) ? select.targetList : undefined;
    if (!Array.isArray(list) || list.length !== 1 || stmts.length !== 1) return undefined;
    target = isObj(list[0]) && isObj(list[0].ResTarget) ? list[0].ResTarget.val : undefined;
  } catch {
    return undefined;
  }
  const literal = stringConst(target);
  if (literal !== undefined) return literal;
  const call = isObj(target) ? target.FuncCall : undefined;
  if (!isObj(call) || !Array.isArray(call.funcname) || !Array.isArray(call.args)) return undefined;
  const fname = call.funcname.at(-1);
  if (!isObj(fname) || !isObj(fname.String) || fname.String.sval !== 'format') return undefined;
  const template = stringConst(call.args[0]);
  if (template === undefined) return undefined;
  // format()'s own placeholder syntax: %[position$][flags][width]type.
  let known = true;
  const text = template.replace(
    /%(\d+\$)?(-)?(\d+|\*(\d+\$)?)?([sIL%])/g,
    (_m, _p, _f, _w, _wp, type) => {
      if (type === '%') return '%';
      if (type === 'I') return 'x';
      if (type === 'L') return "'x'";
      known = false;
      return '';
    },
  );
  return known ? text : undefined;
}

// The field of a statement that holds the SQL string a dynamic statement runs.
const DYNAMIC_FIELD: Record<string, string> = {
  PLpgSQL_stmt_dynexecute: 'query',
  PLpgSQL_stmt_dynfors: 'query',
  PLpgSQL_stmt_return_query: 'dynquery',
  PLpgSQL_stmt_open: 'dynquery',
};

interface Embedded {
  query: string;
  mode: number;
  line?: number;
  dynamic: boolean;
}

/** Every PLpgSQL_expr in the tree, with the line of its nearest statement. */
function embedded(
  node: unknown,
  line: number | undefined,
  dynamic: boolean,
  out: Embedded[],
): void {
  if (Array.isArray(node)) {
    for (const n of node) embedded(n, line, dynamic, out);
    return;
  }
  if (!isObj(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'PLpgSQL_expr' && isObj(value)) {
      out.push({
        query: String(value.query ?? ''),
        mode: Number(value.parseMode ?? 0),
        line,
        dynamic,
      });
      continue;
    }
    if (!isObj(value)) {
      embedded(value, line, dynamic, out);
      continue;
    }
    const here = typeof value.lineno === 'number' ? value.lineno : line;
    for (const [field, child] of Object.entries(value)) {
      embedded(child, here, dynamic || DYNAMIC_FIELD[key] === field, out);
    }
  }
}

/**
 * parsePlPgSQLSync JSON-parses every answer that does not start with "syntax error" or
 * "ERROR", so a compile error such as `"v.a" is not a known variable` surfaces as a
 * JSON SyntaxError: keep the raw answer to report it.
 */
function parsePlpgsqlTree(def: string): unknown {
  const jsonParse = JSON.parse;
  let raw = '';
  JSON.parse = (text: string, reviver?: (k: string, v: unknown) => unknown) => {
    raw = text;
    return jsonParse(text, reviver);
  };
  try {
    return parsePlPgSQLSync(def);
  } catch (err) {
    throw new Error(raw && !raw.startsWith('{') ? raw : (err as Error).message);
  } finally {
    JSON.parse = jsonParse;
  }
}

/**
 * The definition with variable `name`'s declared type replaced by `record`. Outside a
 * database the PL/pgSQL parse knows no composite type, so `v.field := …` on a variable of
 * one is "not a known variable"; as a record it parses, and no embedded query changes.
 */
export function declareAsRecord(def: string, name: string): string | undefined {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const bytes = enc.encode(def);
  const quoted = scanSync(def).tokens.find((t) =>
    t.tokenName === 'SCONST' && t.text.startsWith('$')
  );
  const tag = quoted?.text.match(/^\$[^$]*\$/)?.[0];
  if (!quoted || !tag) return undefined;
  const base = quoted.start + enc.encode(tag).length;
  const toks =
    scanSync(dec.decode(bytes.subarray(base, quoted.end - enc.encode(tag).length))).tokens;
  const low = (i: number) => toks[i]?.text.toLowerCase() ?? '';
  for (let i = 1; i < toks.length; i++) {
    if (low(i) !== name.toLowerCase() || !['declare', ';'].includes(low(i - 1))) continue;
    let j = i + 1;
    if (low(j) === 'constant') j++;
    // Not a declaration with a type (an assignment, an alias, a cursor) or already a record.
    if ([':=', '=', '.', '[', 'alias', 'cursor', 'scroll', 'no', 'record'].includes(low(j))) {
      continue;
    }
    let k = j;
    for (let depth = 0; k < toks.length; k++) {
      if (depth === 0 && [';', ':=', '=', 'default', 'not', 'collate'].includes(low(k))) break;
      if (low(k) === '(') depth++;
      if (low(k) === ')') depth--;
    }
    if (k === j) continue;
    const [from, to] = [base + toks[j]!.start, base + toks[k - 1]!.end];
    return dec.decode(bytes.subarray(0, from)) + 'record' + dec.decode(bytes.subarray(to));
  }
  return undefined;
}

/** A PL/pgSQL function: parse it, then parse every query and expression it embeds. */
export function checkPlpgsql(def: string, where: string): Report {
  let tree: unknown;
  for (let source = def, tries = 0;; tries++) {
    try {
      tree = parsePlpgsqlTree(source);
      break;
    } catch (err) {
      const message = (err as Error).message;
      const unknown = message.match(/^"([^".]+)\.[^"]*" is not a known variable/)?.[1];
      const retry = unknown && tries < 50 ? declareAsRecord(source, unknown) : undefined;
      if (retry !== undefined) {
        source = retry;
        continue;
      }
      const report = emptyReport();
      report.problems.push({
        where,
        message: `PL/pgSQL does not parse: ${message}`,
        text: oneLine(def),
      });
      return report;
    }
  }
  const found: Embedded[] = [];
  embedded(tree, undefined, false, found);
  const reports: Report[] = [];
  for (const e of found) {
    let sql: string | undefined;
    if (e.mode === 0) sql = e.query; // a whole statement
    else if (e.mode === 2) sql = `select ${e.query}`; // an expression
    else if (e.mode >= 3 && e.mode <= 5) {
      const value = assignmentValue(e.query);
      sql = value === undefined ? undefined : `select ${value}`;
    } else if (e.mode === 1) continue; // a type name: no statement in it
    if (sql === undefined) {
      const r = emptyReport();
      r.problems.push({
        where,
        line: e.line,
        message: `cannot read expression (mode ${e.mode})`,
        text: e.query,
      });
      reports.push(r);
      continue;
    }
    reports.push(checkSql(sql, where, e.line));
    if (e.dynamic) {
      const resolved = dynamicTemplate(e.query);
      const r = emptyReport();
      r.dynamic.push({ where, line: e.line, expr: oneLine(e.query), resolved });
      reports.push(r);
      if (resolved !== undefined) reports.push(checkSql(resolved, where, e.line));
    }
  }
  return mergeReports(reports);
}

/** One function as pg_proc has it; languages other than SQL and PL/pgSQL cannot be checked. */
export function checkFunction(fn: FunctionSource): Report {
  if (fn.language === 'plpgsql') return checkPlpgsql(fn.def, fn.name);
  // A `begin atomic` body is kept parsed, not in prosrc: parse the whole definition.
  if (fn.language === 'sql') return checkSql(fn.src.trim() ? fn.src : fn.def, fn.name);
  const report = emptyReport();
  report.problems.push({
    where: fn.name,
    message: `language ${fn.language} cannot be checked`,
    text: '',
  });
  return report;
}
