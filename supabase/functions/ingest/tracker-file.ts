// Serves the built tracker from the function itself, so one URL (…/functions/v1/ingest)
// both receives events and hands out vibe.js. `npm run build` copies
// tracker/dist/vibe.js next to this file; config.toml ships it as a static file.

export interface TrackerFile {
  body: Uint8Array<ArrayBuffer>;
  etag: string;
}

export function trackerLoader(url: URL): () => Promise<TrackerFile | null> {
  let cached: Promise<TrackerFile | null> | undefined;
  return () =>
    cached ??= (async () => {
      try {
        const body = await Deno.readFile(url);
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
        const etag = `"${Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, '0')).join('')}"`;
        return { body, etag };
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          cached = undefined; // a later build may still provide it
          return null;
        }
        throw err;
      }
    })();
}
