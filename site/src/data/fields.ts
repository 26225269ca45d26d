// Tolerant readers for RPC row fields: the first present name wins, so a renamed column is
// fixed by adding one name here rather than in the views.
type Row = Record<string, unknown>;

export function field(row: Row, ...names: string[]): unknown {
  for (const n of names) if (row[n] !== undefined && row[n] !== null) return row[n];
  return undefined;
}

export function text(row: Row, ...names: string[]): string | null {
  const v = field(row, ...names);
  return v === undefined ? null : String(v);
}

export function num(row: Row, ...names: string[]): number | null {
  const v = field(row, ...names);
  if (v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

export function bool(row: Row, ...names: string[]): boolean {
  const v = field(row, ...names);
  return v === true || v === 'true' || v === 't';
}

export function obj(row: Row, ...names: string[]): Row {
  const v = field(row, ...names);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {};
}

export function list(row: Row, ...names: string[]): Row[] {
  const v = field(row, ...names);
  return Array.isArray(v) ? v.filter((x): x is Row => !!x && typeof x === 'object') : [];
}
