// The alerts' Vault secrets (docs/alerts.md, "Setting it up"): where notify lives, the
// token pg_net sends it, and where the dashboard is hosted. public.configure_crm_alerts
// writes them (service_role only); the deploy calls it over the project's REST API the
// way supabase-js's `.rpc()` does, so it needs the service key, not a database password.
import { MASK } from './secrets.ts';

/** The injectable fetch (main.ts passes the global one; tests pass fakes). */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface AlertSettings {
  notifyUrl: string;
  notifyToken: string;
  /** Omitted: configure_crm_alerts keeps Vault's vibe_dashboard_url as it is. */
  dashboardUrl?: string;
}

export class RpcFailed extends Error {}

const TIMEOUT_MS = 30_000;

export function rpcUrl(base: string): string {
  return `${base}/rest/v1/rpc/configure_crm_alerts`;
}

export function rpcBody(s: AlertSettings): Record<string, string> {
  return {
    p_notify_url: s.notifyUrl,
    p_notify_token: s.notifyToken,
    ...(s.dashboardUrl !== undefined ? { p_dashboard_url: s.dashboardUrl } : {}),
  };
}

/** The request as printed, the key and the token masked. */
export function shownRpc(base: string, s: AlertSettings): string[] {
  return [
    `POST ${rpcUrl(base)} (apikey and Authorization: Bearer <service key>)`,
    `  ${JSON.stringify(rpcBody({ ...s, notifyToken: MASK }))}`,
  ];
}

/** PostgREST's {code, message, hint} (or the gateway's {message}), else the text itself. */
function answerMessage(text: string): string {
  try {
    const j = JSON.parse(text);
    if (j && typeof j.message === 'string') {
      return [j.code ? `${j.code}: ` : '', j.message, j.hint ? ` (${j.hint})` : ''].join('');
    }
  } catch {
    // not JSON: shown as it came
  }
  return text.trim().slice(0, 500) || '(empty answer)';
}

/** Calls configure_crm_alerts; 200 or 204 is success, anything else throws RpcFailed. */
export async function configureAlerts(
  fetch: Fetch,
  base: string,
  serviceKey: string,
  s: AlertSettings,
  timeoutMs = TIMEOUT_MS,
): Promise<void> {
  const url = rpcUrl(base);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  try {
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          apikey: serviceKey,
          Authorization: `Bearer ${serviceKey}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(rpcBody(s)),
        signal: abort.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new RpcFailed(`POST ${url} failed: ${(err as Error).message}`);
    }
    if (status !== 200 && status !== 204) {
      throw new RpcFailed(`configure_crm_alerts answered ${status}: ${answerMessage(text)}`);
    }
  } finally {
    clearTimeout(timer);
  }
}
