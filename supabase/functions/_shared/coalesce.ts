// Coalesces concurrent calls into one batched call: items arriving within a few
// milliseconds share one round trip and one commit. Each caller's promise settles
// only after the batched call returned, i.e. after the commit. If a batched call
// fails, its items are retried one by one, so a single poison item fails alone.

export interface CoalesceOptions {
  /** How long the first item of a group waits for company. */
  windowMs: number;
  /** A group is flushed at once when it reaches this size. */
  maxItems: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
}

export function coalesce<I, O>(run: (items: I[]) => Promise<O[]>, opts: CoalesceOptions): (item: I) => Promise<O> {
  let queue: Pending<I, O>[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const runGroup = async (group: Pending<I, O>[]) => {
    try {
      const out = await run(group.map((p) => p.item));
      if (out.length !== group.length) throw new Error(`batched call returned ${out.length} results for ${group.length} items`);
      group.forEach((p, i) => p.resolve(out[i]!));
    } catch (err) {
      if (group.length === 1) return group[0]!.reject(err);
      await Promise.all(group.map((p) => runGroup([p])));
    }
  };

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const group = queue;
    queue = [];
    if (group.length) void runGroup(group);
  };

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (queue.length >= opts.maxItems) flush();
      else if (!timer) timer = setTimeout(flush, opts.windowMs);
    });
}
