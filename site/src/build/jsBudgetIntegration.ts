// Astro integration: after the build, print the gzip JS total of every page and fail above the cap.
import type { AstroIntegration } from 'astro';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatKb, measurePage } from './jsBudget';

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return htmlFiles(p);
    return e.name.endsWith('.html') ? [p] : [];
  });
}

export function jsBudget({ limitKb }: { limitKb: number }): AstroIntegration {
  return {
    name: 'vibe-js-budget',
    hooks: {
      'astro:build:done': ({ dir, logger }) => {
        const root = fileURLToPath(dir);
        const read = (url: string) => {
          const file = join(root, ...url.split('/').filter(Boolean));
          return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
        };
        const over: string[] = [];
        for (const file of htmlFiles(root)) {
          const page = '/' + relative(root, file).split(sep).join('/');
          const result = measurePage(page, readFileSync(file, 'utf8'), read);
          const line = `JS shipped to ${page}: ${formatKb(result.gzipBytes)} gzip (${result.files.length} files, limit ${limitKb} KB)`;
          logger.info(line);
          if (result.gzipBytes > limitKb * 1024) over.push(line);
        }
        if (over.length > 0) throw new Error(`JS budget exceeded:\n${over.join('\n')}`);
      },
    },
  };
}
