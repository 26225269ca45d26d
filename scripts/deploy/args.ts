// Command-line options of `npm run deploy`. Parsing is pure so tests check every rule;
// main.ts turns a UsageError into the usage text and exit code 2.
import { parseArgs } from 'node:util';

export interface DeployOptions {
  projectRef: string;
  dryRun: boolean;
  /** Skips `projects api-keys` (e.g. a key copied from the dashboard). */
  anonKey?: string;
  /** Sets the function secret CLIENT_IP_HEADER; unset, the function's default applies. */
  clientIpHeader?: string;
}

export const USAGE =
  `usage: npm run deploy -- --project-ref REF [--dry-run] [--anon-key KEY] [--client-ip-header NAME]

  --project-ref REF          the hosted project's ref: 20 lowercase letters (https://REF.supabase.co)
  --dry-run                  print every command, secrets masked, and run none (no token or network needed)
  --anon-key KEY             the anon key for config.json, instead of asking the CLI (projects api-keys)
  --client-ip-header NAME    set the function secret CLIENT_IP_HEADER (docs/ingest.md, "The client address")
  --help                     this text

environment: SUPABASE_ACCESS_TOKEN (or a prior \`supabase login\`), SUPABASE_DB_PASSWORD (optional),
IP_HASH_SECRET (optional; generated once when the project has none). See docs/deploying.md.`;

export class UsageError extends Error {}

/** Supabase project refs are exactly 20 lowercase letters (the CLI's own rule). */
export const PROJECT_REF = /^[a-z]{20}$/;
// An HTTP header name as the function compares it: lowercase token characters.
const HEADER_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The options, or null for --help; throws UsageError on anything else. */
export function parseDeployArgs(argv: string[]): DeployOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'project-ref': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'anon-key': { type: 'string' },
        'client-ip-header': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return null;
  const ref = values['project-ref'];
  if (ref === undefined) throw new UsageError('--project-ref is required');
  if (!PROJECT_REF.test(ref)) {
    throw new UsageError(`--project-ref must be 20 lowercase letters, got ${JSON.stringify(ref)}`);
  }
  const anonKey = values['anon-key'];
  if (anonKey !== undefined && anonKey.trim() === '') throw new UsageError('--anon-key is empty');
  const header = values['client-ip-header'];
  if (header !== undefined && !HEADER_NAME.test(header)) {
    throw new UsageError(
      `--client-ip-header must be a lowercase header name, got ${JSON.stringify(header)}`,
    );
  }
  return {
    projectRef: ref,
    dryRun: values['dry-run'],
    ...(anonKey !== undefined ? { anonKey: anonKey.trim() } : {}),
    ...(header !== undefined ? { clientIpHeader: header } : {}),
  };
}
