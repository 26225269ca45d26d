// The function's own refusals (bots, bodies that are not JSON or too large, a wrong
// Content-Type) never reach crm.ingest, so they are counted here per project key and
// error and reported to crm.record_ingest_refusals every few seconds — the project's
// ingest health then shows them. A failed report is kept and sent with the next one.

export interface Refusal {
  project: string;
  error: string;
  count: number;
  message: string;
}

export interface RefusalReporter {
  /** Counts one refusal of a batch for the project with this public key. */
  record(project: string, error: string, message: string): void;
  /** Sends what has been counted now (tests; shutdown). */
  flush(): Promise<void>;
}

/** At most this many (project, error) pairs wait; more are logged and dropped (a flood of keys is not a project's health). */
const MAX_PENDING = 1000;

export function refusalReporter(send: (refusals: Refusal[]) => Promise<unknown>, intervalMs = 2000): RefusalReporter {
  let pending = new Map<string, Refusal>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | undefined;

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    await sending;
    if (!pending.size) return;
    const batch = [...pending.values()];
    pending = new Map();
    sending = send(batch).then(
      () => {},
      (err) => {
        console.error('ingest: could not report refusals:', (err as Error).message);
        for (const r of batch) add(r);
        schedule();
      },
    );
    await sending;
    sending = undefined;
  };

  const schedule = () => {
    timer ??= setTimeout(() => void flush(), intervalMs);
  };

  const add = (r: Refusal) => {
    const key = `${r.project}\u0000${r.error}`;
    const seen = pending.get(key);
    if (seen) seen.count += r.count;
    else if (pending.size < MAX_PENDING) pending.set(key, { ...r });
    else console.error(`ingest: ${r.error} for ${r.project} not reported (too many pending)`);
  };

  return {
    record(project, error, message) {
      add({ project, error, count: 1, message });
      schedule();
    },
    flush,
  };
}

const PROJECT_KEY = /"project"\s*:\s*"(pk_[A-Za-z0-9]{8,64})"/;

/** The project's public key in the first bytes of a body that could not be read as a batch, or null. */
export function projectKeyIn(text: string): string | null {
  return PROJECT_KEY.exec(text.slice(0, 4096))?.[1] ?? null;
}
