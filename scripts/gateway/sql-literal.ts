// SQL literals for the one-round-trip RPC statement (simple query protocol, which has
// no parameters). Dollar quoting with a random tag does not depend on
// standard_conforming_strings, and the tag is checked not to occur in the value.

export class NulInText extends Error {
  constructor() {
    super('\\u0000 cannot be converted to text.');
  }
}

function randomTag(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return `$v${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}$`;
}

export function sqlLiteral(value: string | null): string {
  if (value === null) return 'NULL';
  // A NUL would end the query message early; Postgres text cannot hold one anyway.
  if (value.includes('\0')) throw new NulInText();
  for (;;) {
    const tag = randomTag();
    const quoted = `${tag}${value}${tag}`;
    // The first closing tag must be the one we appended (no early or overlapping match).
    if (quoted.indexOf(tag, tag.length) === tag.length + value.length) return quoted;
  }
}
