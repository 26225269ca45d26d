// Display only: how strongly the map shades a country, from the visitors the RPC returned
// for it against the largest figure on screen (square root, so small countries still show).
export function shadePct(visitors: number, maxVisitors: number): number {
  if (visitors <= 0 || maxVisitors <= 0) return 0;
  return Math.round(15 + 85 * Math.sqrt(Math.min(1, visitors / maxVisitors)));
}
