// Command-line options of `npm run deploy`. Parsing is pure so tests check every rule;
// main.ts turns a UsageError into the usage text and exit code 2.
import { parseArgs } from 'node:util';

export interface DeployOptions {
  projectRef: string;
  dryRun: boolean;
  /** Used in config.json instead of the one `projects api-keys` reports (e.g. copied from Studio). */
  anonKey?: string;
  /** Sets the function secret CLIENT_IP_HEADER; unset, the function's default applies. */
  clientIpHeader?: string;
  /** Where the dashboard is hosted: Vault's vibe_dashboard_url, for links in alert messages. */
  dashboardUrl?: string;
}

export const USAGE =
  `usage: npm run deploy -- --project-ref REF [--dry-run] [--anon-key KEY] [--client-ip-header NAME]
                         [--dashboard-url URL]

  --project-ref REF          the hosted project's ref: 20 lowercase letters (https://REF.supabase.co)
  --dry-run                  print every command, secrets masked, and run none (no token or network needed)
  --anon-key KEY             the anon key for config.json, instead of the one projects api-keys reports
  --client-ip-header NAME    set the function secret CLIENT_IP_HEADER (docs/ingest.md, "The client address")
  --dashboard-url URL        where the dashboard is hosted (http or https), for links to users in alerts;
                             omitted, the address an earlier deploy stored is kept
  --help                     this text

environment: SUPABASE_ACCESS_TOKEN (or a prior \`supabase login\`), SUPABASE_DB_PASSWORD (optional),
IP_HASH_SECRET (optional; generated once when the project has none), RESEND_API_KEY,
ALERT_EMAIL_FROM, RESEND_API_URL (optional; email alerts), AUTH_JWT_SECRET (optional; the legacy
JWT secret, for Supabase Auth identity on projects without signing keys). See docs/deploying.md.`;

export class UsageError extends Error {}

/** Supabase project refs are exactly 20 lowercase letters (the CLI's own rule). */
export const PROJECT_REF = /^[a-z]{20}$/;
// An HTTP header name as the function compares it: lowercase token characters.
const HEADER_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** An absolute http(s) URL with a host, spelled as configure_crm_alerts requires. */
function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\/[^/\s]/.test(value) || /\s/.test(value)) return false;
  try {
    return new URL(value).host !== '';
  } catch {
    return false;
  }
}

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
        'dashboard-url': { type: 'string' },
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
  const dashboardUrl = values['dashboard-url'];
  if (dashboardUrl !== undefined && !isHttpUrl(dashboardUrl)) {
    throw new UsageError(
      `--dashboard-url must be an http(s) URL, got ${JSON.stringify(dashboardUrl)}`,
    );
  }
  return {
    projectRef: ref,
    dryRun: values['dry-run'],
    ...(anonKey !== undefined ? { anonKey: anonKey.trim() } : {}),
    ...(header !== undefined ? { clientIpHeader: header } : {}),
    ...(dashboardUrl !== undefined ? { dashboardUrl } : {}),
  };
}
