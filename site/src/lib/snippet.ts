// The texts of the Integratie Code dialog and the signing example in Settings.

/** Keeps vibeTrack/vibeIdentify/vibeReset calls made before the deferred script has run (README, "The snippet"). */
export const QUEUE_STUB =
  "<script>['vibeTrack','vibeIdentify','vibeReset'].forEach(function(f){window[f]=window[f]||function(){(window.vibeQ=window.vibeQ||[]).push([f,arguments])}})</script>";

export interface SnippetOptions {
  /** The project is cookieless: the tracker must not use storage either. */
  cookieless?: boolean;
  /** The project honours Do Not Track: the tracker then sends nothing at all. */
  respectDnt?: boolean;
  /** The site signs users in with Supabase Auth: the tracker identifies them from the supabase-js session. */
  supabaseAuth?: boolean;
}

/** The tag for this project, following its privacy settings, after the queue stub. */
export function integrationSnippet(ingestUrl: string, publicKey: string, opts: SnippetOptions = {}): string {
  const base = ingestUrl.replace(/\/+$/, '');
  const extra = (opts.cookieless ? ' data-mode="cookieless"' : '') + (opts.respectDnt ? ' data-respect-dnt' : '') +
    (opts.supabaseAuth ? ' data-supabase-auth' : '');
  return `${QUEUE_STUB}\n<script defer src="${base}/vibe.js" data-project="${publicKey}" data-api="${base}"${extra}></script>`;
}

export const TRACK_EXAMPLE = `window.vibeTrack('signup', {plan: 'pro'})
window.vibeIdentify({email: 'jan@example.com', name: 'Jan', segment: 'premium', metadata: {plan: 'pro'}})`;

export const SIGNING_EXAMPLE = `// Node.js, on your server: the secret never goes to the browser.
import { createHmac } from 'node:crypto';
// subject: external_id when you send one, else lower(trim(email))
const subject = externalId ?? email.trim().toLowerCase();
const signature = createHmac('sha256', process.env.VIBE_IDENTITY_SECRET).update(subject).digest('hex');
// in the page, with the same values:
window.vibeIdentify({external_id: externalId, email, name, signature})`;

export function csvFileName(kind: 'users' | 'metrics', projectName: string, now: Date): string {
  const slug = projectName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'project';
  return `vibe-crm-${slug}-${kind}-${now.toISOString().slice(0, 10)}.csv`;
}
