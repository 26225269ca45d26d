// What the deploy prints at the end: the tracker snippet (built by the dashboard's own
// generator, so the two never differ) and the steps no command can do for you.
import { integrationSnippet } from '../../site/src/lib/snippet.ts';
import { functionUrl } from './project.ts';

/** The project's public key exists once the dashboard has created the CRM project. */
export const PUBLIC_KEY_PLACEHOLDER = 'pk_…';

/** `base`: the project's URL, as config.json has it; `dashboardUrl`: --dashboard-url. */
export function nextSteps(
  ref: string,
  base: string,
  siteDist: string,
  dashboardUrl?: string,
): string {
  const ingestUrl = functionUrl(base, 'ingest');
  // Vault keeps an earlier --dashboard-url, but this run cannot tell whether there is one.
  const links = dashboardUrl ? '' : `
  6. For links to users in alert messages: once the dashboard is hosted, deploy again with
     --dashboard-url URL (its address).`;
  return `The tracker snippet for this project (replace ${PUBLIC_KEY_PLACEHOLDER} with the public key the dashboard
shows after step 3; its Integratie Code dialog gives the exact snippet, with the privacy attributes):

${integrationSnippet(ingestUrl, PUBLIC_KEY_PLACEHOLDER)}

Next:
  1. Create your dashboard login: Supabase Studio → Authentication → Add user (auto-confirm).
  2. Host ${siteDist} (config.json beside index.html) on any static host: docs/deploying.md.
  3. Sign in to the dashboard: the first-run screen creates your CRM project and shows its public key.
  4. Put the snippet on your site; under Settings set the allowed origins (scheme://host[:port]).
  5. Check the function: ${ingestUrl}/vibe.js must answer 200 with the tracker.${links}
Studio: https://supabase.com/dashboard/project/${ref}   API: ${base}`;
}
