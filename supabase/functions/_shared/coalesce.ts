// Coalesces concurrent calls into one batched call: items arriving within a few
// milliseconds share one round trip and one commit. Each caller's promise settles
// only after the batched call returned, i.e. after the commit. If a batched call
// fails, its items are retried one by one, so a single poison item fails alone.
//
// At most `maxInFlight` groups run at once (the connection pool's size): while they
// are all busy, new items wait and the next group forms from everything that arrived
// meanwhile. Under load the groups grow by themselves, so the database does more per
// statement exactly when it is the bottleneck; when idle, the window alone applies.

export interface CoalesceOptions {
  /** How long the first item of a group waits for company. */
  windowMs: number;
  /** A group never holds more items than this. */
  maxItems: number;
  /** Groups running at once; more wait for a free slot (default: unbounded). */
  maxInFlight?: number;
  /** Items waiting at most; beyond, a call fails at once with code QUEUE_FULL (default: unbounded). */
  maxQueued?: number;
  /** Retry a failed group item by item, so a poison item fails alone (default true; a function decides per error). */
  splitOnError?: boolean | ((err: unknown) => boolean);
}

interface Pending<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

export function coalesce<I, O>(run: (items: I[]) => Promise<O[]>, opts: CoalesceOptions): (item: I) => Promise<O> {
  const maxInFlight = opts.maxInFlight ?? Infinity;
  let queue: Pending<I, O>[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let windowOver = false;
  let inFlight = 0;

  const runGroup = async (group: Pending<I, O>[]) => {
    try {
      const out = await run(group.map((p) => p.item));
      if (out.length !== group.length) throw new Error(`batched call returned ${out.length} results for ${group.length} items`);
      group.forEach((p, i) => p.resolve(out[i]!));
    } catch (err) {
      const split = typeof opts.splitOnError === 'function' ? opts.splitOnError(err) : opts.splitOnError !== false;
      if (group.length === 1 || !split) return group.forEach((p) => p.reject(err));
      await Promise.all(group.map((p) => runGroup([p])));
    }
  };

  /** Starts groups while a slot is free and there is a full group or a waited-out window. */
  const pump = () => {
    while (inFlight < maxInFlight && queue.length && (windowOver || queue.length >= opts.maxItems)) {
      const group = queue.slice(0, opts.maxItems);
      queue = queue.slice(group.length);
      if (!queue.length) {
        clearTimeout(timer);
        timer = undefined;
        windowOver = false;
      }
      inFlight++;
      void runGroup(group).finally(() => {
        inFlight--;
        pump();
      });
    }
    if (queue.length && !timer && !windowOver) {
      timer = setTimeout(() => {
        timer = undefined;
        windowOver = true;
        pump();
      }, opts.windowMs);
    }
  };

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      // A stalled database must not grow memory without bound: refuse, the caller retries.
      if (queue.length >= (opts.maxQueued ?? Infinity)) {
        return reject(Object.assign(new Error('too many requests waiting for the database'), { code: 'QUEUE_FULL' }));
      }
      queue.push({ item, resolve, reject });
      pump();
    });
}
