// The committed country-data.ts must be what the pinned package gives: bumping
// @ip-location-db/dbip-country (or changing the encoding) without `npm run build:geo`
// would ship the old table. Regenerates it in memory (about 1.5 s) and compares.
import { buildCountryModule, DATA_MODULE } from './build-country-data.ts';

Deno.test('supabase/functions/ingest/geo/country-data.ts matches the pinned package (else: npm run build:geo)', async () => {
  const committed = await Deno.readTextFile(DATA_MODULE).catch(() => '');
  const generated = await buildCountryModule();
  if (committed !== generated) {
    const a = committed.split('\n'), b = generated.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    throw new Error(
      `${DATA_MODULE.pathname} is stale: run \`npm run build:geo\` and commit it ` +
        `(first difference on line ${line + 1}: ${
          JSON.stringify((a[line] ?? '<end>').slice(0, 80))
        })`,
    );
  }
});
