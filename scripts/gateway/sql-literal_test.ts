import assert from 'node:assert/strict';
import { NulInText, sqlLiteral } from './sql-literal.ts';

Deno.test('literals are dollar-quoted with a tag that occurs only at both ends', () => {
  for (
    const v of [
      '',
      "it's",
      '$$',
      '$v$',
      'a$',
      '$',
      '\\',
      'é 🎉',
      '$vabcdef012345',
      'x$vabcdef012345$y',
    ]
  ) {
    const q = sqlLiteral(v);
    const tag = q.match(/^\$v[0-9a-f]{12}\$/)![0];
    assert.equal(q, `${tag}${v}${tag}`);
    assert.equal(q.indexOf(tag, tag.length), tag.length + v.length, v);
  }
  assert.equal(sqlLiteral(null), 'NULL');
});

Deno.test('a NUL byte is refused instead of cutting the query short', () => {
  assert.throws(() => sqlLiteral('a\0b'), NulInText);
});
