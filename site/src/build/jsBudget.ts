// Measures the JavaScript a built page can load: every /_astro/*.js the HTML names,
// plus everything those chunks import (statically or lazily), gzip-compressed.
import { gzipSync } from 'node:zlib';
import { posix } from 'node:path';

/** The /_astro/… JavaScript URLs an HTML page references (scripts, island component/renderer URLs). */
export function scriptUrlsOfHtml(html: string): string[] {
  const found = html.match(/\/_astro\/[A-Za-z0-9._@~-]+\.js/g) ?? [];
  return [...new Set(found)];
}

/** Relative module specifiers a chunk imports: `from"./x.js"`, `import"./x.js"`, `import("./x.js")`. */
export function importsOfChunk(code: string): string[] {
  const specs = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)["'](\.{1,2}\/[^"']+\.js)["']/g;
  for (const m of code.matchAll(re)) if (m[1]) specs.add(m[1]);
  return [...specs];
}

export interface PageBudget {
  page: string;
  files: string[];
  gzipBytes: number;
}

/** Walks the import graph from a page's script URLs; `read` returns a file's text by its URL path. */
export function measurePage(page: string, html: string, read: (urlPath: string) => string | undefined): PageBudget {
  const seen = new Set<string>();
  const queue = scriptUrlsOfHtml(html);
  let gzipBytes = 0;
  while (queue.length > 0) {
    const url = queue.shift() as string;
    if (seen.has(url)) continue;
    const code = read(url);
    if (code === undefined) continue;
    seen.add(url);
    gzipBytes += gzipSync(code).length;
    for (const spec of importsOfChunk(code)) queue.push(posix.join(posix.dirname(url), spec));
  }
  return { page, files: [...seen].sort(), gzipBytes };
}

export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
