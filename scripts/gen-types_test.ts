// The committed supabase/types/database.ts must be what the migrations give: a changed
// RPC without `npm run gen:types` would leave the site and other apps typed against the
// old API. Runs against the test stack's database (DB_URL), which `npm test` starts.
import { generateTypes, TYPES_FILE } from './gen-types.ts';

const url = Deno.env.get('DB_URL');
if (!url) throw new Error('DB_URL is not set: run through `npm test`, which starts the test stack');

/** The first line where the two texts differ, for the failure message. */
function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i < 0 ? a.length : i;
  return `line ${at + 1}: committed ${JSON.stringify(a[at] ?? '<end>')}, database ${
    JSON.stringify(b[at] ?? '<end>')
  }`;
}

Deno.test('supabase/types/database.ts matches the database (else: npm run gen:types)', async () => {
  const committed = await Deno.readTextFile(TYPES_FILE).catch(() => '');
  const generated = await generateTypes(url);
  if (committed !== generated) {
    throw new Error(
      `${TYPES_FILE} is stale: run \`npm run gen:types\` against a stack with the current ` +
        `migrations and commit the result (${firstDifference(committed, generated)})`,
    );
  }
});
