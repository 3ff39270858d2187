/**
 * Group commit: callers submit one item each and await their own result, while the writes go
 * to the database in batches. When nothing is being written, a submitted item is written at
 * once (no added latency at low load); items submitted while a batch is in flight wait for it
 * and go together in the next one — so under load the batches grow by themselves, up to `max`.
 * Used by the dialer's attempt writes: 500 attempts/s are a few dozen transactions a second.
 */
export class GroupCommit<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    /** Writes a batch; returns one result per item, in order. A throw fails the whole batch. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly max = 500,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Items waiting for the next batch. */
  get waiting(): number {
    return this.queue.length;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    // Let callers submitting in the same tick join this batch.
    await Promise.resolve();
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.max);
        try {
          const results = await this.write(batch.map((b) => b.item));
          if (results.length !== batch.length)
            throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
          batch.forEach((b, i) => b.resolve(results[i]!));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
