import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { importsOfChunk, measurePage, scriptUrlsOfHtml } from './jsBudget';

describe('scriptUrlsOfHtml', () => {
  it('finds module scripts and island URLs once each', () => {
    const html = `<script type="module" src="/_astro/page.A1.js"></script>
      <astro-island component-url="/_astro/Cards.B2.js" renderer-url="/_astro/client.C3.js"></astro-island>
      <astro-island component-url="/_astro/Cards.B2.js"></astro-island><link href="/_astro/x.css">`;
    expect(scriptUrlsOfHtml(html)).toEqual(['/_astro/page.A1.js', '/_astro/Cards.B2.js', '/_astro/client.C3.js']);
  });
});

describe('importsOfChunk', () => {
  it('finds static, bare and dynamic relative imports', () => {
    const code = `import{a as b}from"./react.X.js";import"./side.Y.js";const c=()=>import("./chart.Z.js");import x from 'react'`;
    expect(importsOfChunk(code).sort()).toEqual(['./chart.Z.js', './react.X.js', './side.Y.js']);
  });
});

describe('measurePage', () => {
  it('sums gzip sizes over the import graph, counting shared chunks once', () => {
    const files: Record<string, string> = {
      '/_astro/a.js': 'import"./shared.js";import("./lazy.js");' + 'a'.repeat(500),
      '/_astro/b.js': 'import"./shared.js";' + 'b'.repeat(300),
      '/_astro/shared.js': 'export const s = 1;'.repeat(40),
      '/_astro/lazy.js': 'export default 42;',
    };
    const html = '<script src="/_astro/a.js"></script><astro-island component-url="/_astro/b.js"></astro-island>';
    const result = measurePage('/index.html', html, (u) => files[u]);
    const expected = Object.values(files).reduce((n, code) => n + gzipSync(code).length, 0);
    expect(result.files).toEqual(['/_astro/a.js', '/_astro/b.js', '/_astro/lazy.js', '/_astro/shared.js']);
    expect(result.gzipBytes).toBe(expected);
  });

  it('ignores URLs that are not in the build', () => {
    expect(measurePage('/x.html', '<script src="/_astro/gone.js"></script>', () => undefined).gzipBytes).toBe(0);
  });
});
