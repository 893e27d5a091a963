/**
 * Inngest's flow control, per key: rate limits (runs over the limit are skipped), throttles (run
 * starts are spread out) and concurrency limits (a key's requests run at most `limit` at a time;
 * Inngest limits executing steps, so a sleeping or waiting run holds no slot).
 */
export class FlowControl {
  private readonly starts = new Map<string, number[]>();
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  /** Start times within the last `period` under `key`, pruned, as a list to append to. */
  private recentStarts(key: string, period: number, now: number) {
    const list = (this.starts.get(key) ?? []).filter((at) => at > now - period);
    this.starts.set(key, list);
    return list;
  }

  /** Whether a run may start under a rate limit of `limit` per `period`; counts it if so. */
  admit(key: string, limit: number, period: number, now: number): boolean {
    const recent = this.recentStarts(key, period, now);
    if (recent.length >= limit) return false;
    recent.push(now);
    return true;
  }

  /** When a run may start under a throttle of `limit` per `period` (now, or later); books it. */
  throttledStart(key: string, limit: number, period: number, now: number): number {
    const scheduled = this.recentStarts(key, period, now);
    const startAt = scheduled.length >= limit ? scheduled[scheduled.length - limit]! + period : now;
    scheduled.push(startAt);
    return startAt;
  }

  /** Waits until each keyed limit has room and takes a slot in each; returns the release. */
  async acquire(limits: { key: string; limit: number }[]): Promise<() => void> {
    const held: string[] = [];
    for (const { key, limit } of limits) {
      const slot = this.slots.get(key) ?? { active: 0, waiting: [] };
      this.slots.set(key, slot);
      if (slot.active < limit) slot.active++;
      else await new Promise<void>((resolve) => slot.waiting.push(resolve));
      held.push(key);
    }
    return () => {
      for (const key of held) {
        const slot = this.slots.get(key)!;
        const next = slot.waiting.shift();
        if (next) next();
        else slot.active--;
      }
    };
  }
}
