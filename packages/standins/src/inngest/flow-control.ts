import type { Clock } from "./clock";
import type { Expression } from "./expression";
import type { InngestEvent } from "./protocol";

/**
 * Inngest's flow control, per function and key: concurrency (a key's requests run at most
 * `limit` at a time; Inngest limits executing steps, so a sleeping or waiting run holds no
 * slot), throttle (run starts are delayed) and rate limits (runs over the limit are skipped).
 * Periods are Inngest's ms, on the executor's clock.
 */

export interface FlowLimits {
  concurrency: { limit: number; key?: Expression; scope: string }[];
  throttle?: { limit: number; burst: number; period: number; key?: Expression };
  rateLimit?: { limit: number; period: number; key?: Expression };
}

/** A concurrency slot a request takes, under its key. */
interface Slot {
  slot: string;
  limit: number;
}

const keyOf = (key: Expression | undefined, event: InngestEvent) =>
  JSON.stringify(key?.valueOf({ event }) ?? null);

export class FlowControl {
  private readonly slotsInUse = new Map<string, number>();
  /** GCRA's theoretical arrival time, per throttle key */
  private readonly throttleArrivals = new Map<string, number>();
  /** run starts within the period, per rate-limit key */
  private readonly rateStarts = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  /** The slots a request of a run of `functionId` for `event` needs. */
  slots(functionId: string, limits: FlowLimits, event: InngestEvent): Slot[] {
    return limits.concurrency.map(({ limit, key, scope }) => ({
      slot: `${scope === "fn" ? functionId : scope}:${key?.source ?? ""}:${key ? keyOf(key, event) : ""}`,
      limit,
    }));
  }

  /** Takes every slot if each has room; false (taking none) otherwise. */
  take(slots: Slot[]): boolean {
    if (slots.some(({ slot, limit }) => (this.slotsInUse.get(slot) ?? 0) >= limit)) return false;
    for (const { slot } of slots) this.slotsInUse.set(slot, (this.slotsInUse.get(slot) ?? 0) + 1);
    return true;
  }

  release(slots: Slot[]) {
    for (const { slot } of slots) this.slotsInUse.set(slot, this.slotsInUse.get(slot)! - 1);
  }

  /**
   * When a run may start under the function's throttle, reserving that start: GCRA, as Inngest
   * throttles: `limit` + `burst` starts at once, then one every period / limit.
   */
  throttledStart(functionId: string, limits: FlowLimits, event: InngestEvent): number {
    const now = this.clock.now();
    if (!limits.throttle) return now;
    const { limit, burst, period, key } = limits.throttle;
    const slot = `${functionId}:${keyOf(key, event)}`;
    const interval = this.clock.span(period) / limit;
    const arrival = this.throttleArrivals.get(slot) ?? -Infinity;
    const at = Math.max(now, arrival - (limit + burst - 1) * interval);
    this.throttleArrivals.set(slot, Math.max(arrival, at) + interval);
    return at;
  }

  /** Whether the function's rate limit lets a run start now (`limit` per period); counts it if so. */
  admits(functionId: string, limits: FlowLimits, event: InngestEvent): boolean {
    if (!limits.rateLimit) return true;
    const { limit, period, key } = limits.rateLimit;
    const now = this.clock.now();
    const slot = `${functionId}:${keyOf(key, event)}`;
    const recent = (this.rateStarts.get(slot) ?? []).filter(
      (at) => at > now - this.clock.span(period),
    );
    this.rateStarts.set(slot, recent);
    if (recent.length >= limit) return false;
    recent.push(now);
    return true;
  }
}
