/**
 * Inngest's side of time, for the executor: the simulated clock of the function tests, which moves
 * only when the simulation has nothing else to do, and the real clock of the driver, which can
 * run Inngest's durations faster. Application code always reads the real clock (Date.now()).
 */
export interface Clock {
  /** Now, epoch ms: what events, runs and history entries are stamped with. */
  now(): number;
  /** How long `ms` of Inngest's time (a sleep, a timeout, a back-off, a period) lasts here. */
  span(ms: number): number;
  /** Calls `fire` at `at`, unless `live` says by then that it no longer matters. */
  schedule(at: number, fire: () => void, live?: () => boolean): void;
}

interface Timer {
  at: number;
  fire: () => void;
  live: () => boolean;
}

/**
 * A clock that moves only when told to (discrete-event simulation), from the real time it was
 * made at, so dates the application computes make sense.
 */
export class SimulatedClock implements Clock {
  private time = Date.now();
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  span(ms: number): number {
    return ms;
  }

  schedule(at: number, fire: () => void, live: () => boolean = () => true) {
    const timer = { at, fire, live };
    const index = this.timers.findIndex((t) => t.at > at);
    if (index === -1) this.timers.push(timer);
    else this.timers.splice(index, 0, timer);
  }

  /** When the next timer that still matters is due; undefined when none is left. */
  next(): number | undefined {
    this.timers = this.timers.filter((t) => t.live());
    return this.timers[0]?.at;
  }

  /** Moves to `at` (never back) and fires every timer due by then, in order. */
  advanceTo(at: number) {
    this.time = Math.max(this.time, at);
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const timer of due) if (timer.live()) timer.fire();
  }
}

/** setTimeout's longest delay (about 24.8 days); longer waits are armed in parts. */
const MAX_DELAY = 2 ** 31 - 1;

/** The real clock; Inngest's durations last `timeScale` times as long (0.001: "3d" in 4 min). */
export class RealClock implements Clock {
  private readonly handles = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly timeScale = 1) {}

  now(): number {
    return Date.now();
  }

  span(ms: number): number {
    return ms * this.timeScale;
  }

  schedule(at: number, fire: () => void, live: () => boolean = () => true) {
    if (this.stopped) return;
    const arm = () => {
      const handle = setTimeout(
        () => {
          this.handles.delete(handle);
          if (at > Date.now()) arm();
          else if (live()) fire();
        },
        Math.min(Math.max(0, at - Date.now()), MAX_DELAY),
      );
      // A pending sleep or wait must not keep a test process (or a stopped server) alive.
      handle.unref();
      this.handles.add(handle);
    };
    arm();
  }

  /** Stops every timer: nothing scheduled, now or later, fires any more. */
  stop() {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }
}
