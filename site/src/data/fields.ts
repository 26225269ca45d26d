// Readers for RPC row fields, by the one name the SQL uses (supabase/API.md). Missing or
// null fields read as null (or {} / [] / false), so a view never sees undefined.
type Row = Record<string, unknown>;

export function text(row: Row, name: string): string | null {
  const v = row[name];
  return v === undefined || v === null ? null : String(v);
}

export function num(row: Row, name: string): number | null {
  const v = row[name];
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

export function bool(row: Row, name: string): boolean {
  const v = row[name];
  return v === true || v === 'true' || v === 't';
}

export function obj(row: Row, name: string): Row {
  const v = row[name];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {};
}

export function list(row: Row, name: string): Row[] {
  const v = row[name];
  return Array.isArray(v) ? v.filter((x): x is Row => !!x && typeof x === 'object') : [];
}
