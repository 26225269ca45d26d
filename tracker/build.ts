// Builds the tracker: dist/vibe.js (the script tag's minified IIFE), dist/index.js (ESM
// for bundlers) and dist/index.d.ts, and copies vibe.js next to the ingest function,
// which serves it (supabase/functions/ingest/tracker-file.ts; git-ignored there).
// Fails above the gzip budget, so a regression cannot ship.
// `node tracker/build.ts` (npm run build:tracker) or import buildTracker.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { minify } from 'terser';
import ts from 'typescript';

/** Hard limit of dist/vibe.js, gzip bytes: the build fails above it. */
export const BUDGET = 2048;
/** What we aim for with every feature in. */
export const GOAL = 1500;

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
export const dist = join(root, 'dist');
const served = join(root, '..', 'supabase', 'functions', 'ingest', 'vibe.js');

export interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
}

export const sizes = (code: string): Sizes => ({
  raw: Buffer.byteLength(code),
  gzip: gzipSync(code, { level: 9 }).length,
  brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

/** The script tag build, in memory: what dist/vibe.js holds (tests load exactly this). */
export async function bundleScript(): Promise<string> {
  const out = await build({
    entryPoints: [join(src, 'iife.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    // Sloppy mode changes nothing here and saves the "use strict" prologue.
    tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
    target: 'es2021',
    legalComments: 'none',
    write: false,
  });
  // esbuild bundles; terser then squeezes out what esbuild's minifier leaves (inlines
  // start() into the IIFE, names variables by use for gzip): about 35 B gzip.
  // unsafe_arrows: nothing here uses `this`, `arguments` or `new` on its own functions.
  // ecma 2020: what terser writes itself stays within ES2020; the ES2021 it is given (||=) passes through.
  const min = await minify(out.outputFiles[0]!.text, { ecma: 2020, compress: { passes: 3, unsafe_arrows: true }, format: { comments: false } });
  return min.code!;
}

async function bundleModule(): Promise<string> {
  const out = await build({
    entryPoints: [join(src, 'index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2021',
    legalComments: 'none',
    write: false,
  });
  return out.outputFiles[0]!.text;
}

/** dist/index.d.ts from src/index.ts (self-contained: the public types live there). */
function declarations(): string {
  let dts = '';
  const program = ts.createProgram([join(src, 'index.ts')], {
    declaration: true,
    emitDeclarationOnly: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    skipLibCheck: true,
    types: [],
  });
  const res = program.emit(undefined, (name, text) => {
    if (name.endsWith('index.d.ts')) dts = text;
  });
  const errors = ts.getPreEmitDiagnostics(program).concat(res.diagnostics);
  if (errors.length || !dts) {
    throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
  }
  return dts;
}

/** Prints the sizes, throws above the budget (writing nothing), else writes dist/ and the served copy. */
export async function buildTracker(log: (line: string) => void = console.log, budget = BUDGET): Promise<Sizes> {
  const [script, module] = await Promise.all([bundleScript(), bundleModule()]);
  const s = sizes(script);
  log(`tracker/dist/vibe.js: ${s.raw} B raw, ${s.gzip} B gzip, ${s.brotli} B brotli (goal ${GOAL} B gzip, budget ${budget} B)`);
  if (s.gzip > budget) throw new Error(`tracker/dist/vibe.js is ${s.gzip} B gzip, over the ${budget} B budget`);
  const types = declarations();
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'vibe.js'), script);
  writeFileSync(join(dist, 'index.js'), module);
  writeFileSync(join(dist, 'index.d.ts'), types);
  writeFileSync(served, script);
  return s;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildTracker().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
