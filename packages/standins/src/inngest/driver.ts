import { RealClock } from "./clock";
import { Executor, type EventInput, type Faults } from "./executor";
import type { ExecutionMode, Registration } from "./protocol";
import { HttpTransport } from "./transport";

/**
 * A local stand-in for the Inngest server (Cloud or the dev server), for the browser suite and
 * for running the app without Inngest: the executor (executor.ts) in real time against an app's
 * real `serve()` endpoint over HTTP. It takes events (`accept`, the event API), syncs the app's
 * functions when the first event arrives (or takes an out-of-band registration), and sends each
 * request as soon as it may, with checkpointing as Inngest does (the SDK reports each step to its
 * `/v1/checkpoint` API, which this driver serves too). What it does not implement is logged and
 * left out.
 *
 * Everything it waits out (sleeps, wait timeouts, retry back-off, throttle periods, dedup
 * windows) is scaled by `timeScale`, so a demo's "3d" can pass in seconds; `stepDelayMs` slows
 * each run to a pace a person (or a polling page) can follow, before each request and each
 * checkpoint it answers. It keeps everything in memory.
 */

export interface DriverOptions {
  /** The app's serve endpoint, e.g. http://localhost:3000/api/inngest */
  serveUrl: string;
  /** Signs every request, as Inngest does; the SDK in cloud mode refuses unsigned ones. */
  signingKey?: string;
  /** Multiplies every duration the driver waits out (default 1: real time). */
  timeScale?: number;
  /** A pause before each request of a run and each checkpoint answered, in real ms (default 0). */
  stepDelayMs?: number;
  /** "checkpointing" (Inngest's way with v4 apps, the default) or "step-by-step". */
  mode?: ExecutionMode;
  /** Lost answers and delayed cancellation; none by default. */
  faults?: Faults;
  /** ms of Inngest's time before retrying after failed attempt `attempt` (default Inngest's table). */
  backoff?: (attempt: number) => number;
  requestTimeoutMs?: number;
  /** One line per run event (start, step, retry, end); silent by default. */
  log?: (line: string) => void;
}

/** An event the event API refuses (400), as Inngest refuses a whole request over one bad event. */
export class EventRejected extends Error {
  name = "EventRejected";
}

export class InngestDriver extends Executor {
  readonly serveUrl: string;
  private readonly http: HttpTransport;
  private readonly realClock: RealClock;
  private readonly stepDelayMs: number;
  private registrations = 0;
  private syncing: Promise<void> | null = null;
  private accepting = 0;
  private readonly listeners = new Set<() => void>();
  private pumping = false;
  private closed = false;

  constructor(options: DriverOptions) {
    const clock = new RealClock(options.timeScale ?? 1);
    const http = new HttpTransport({
      signingKey: options.signingKey,
      requestTimeoutMs: options.requestTimeoutMs,
      pauseMs: options.stepDelayMs,
    });
    super({
      clock,
      transport: http,
      strict: false,
      backoff: options.backoff,
      log: options.log,
      mode: options.mode,
      faults: options.faults,
    });
    this.serveUrl = options.serveUrl;
    this.stepDelayMs = options.stepDelayMs ?? 0;
    this.http = http;
    this.realClock = clock;
  }

  /** Asks the app for its functions (in-band sync), as the dev server does when it finds an app. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      const before = this.registrations;
      const registration = await this.http.sync(this.serveUrl);
      if (registration) this.register(registration);
      else if (this.registrations === before) {
        throw new Error(
          `${this.serveUrl} synced out of band; point its INNGEST_BASE_URL at this driver so the registration arrives here`,
        );
      }
    })().finally(() => (this.syncing = null));
    return this.syncing;
  }

  /** Takes a registration (the body of POST /fn/register, or an in-band sync's). */
  register(registration: Registration) {
    this.registerApps([registration]);
    this.registrations++;
  }

  /** The event API: validates the events, syncs the app if it has not yet, answers their ids. */
  async accept(input: unknown): Promise<string[]> {
    const batch = (Array.isArray(input) ? input : [input]) as Partial<EventInput>[];
    const bad = batch.findIndex(
      (event) =>
        !event ||
        typeof event.name !== "string" ||
        !event.name ||
        (event.data !== undefined &&
          (typeof event.data !== "object" || event.data === null || Array.isArray(event.data))),
    );
    if (bad >= 0) throw new EventRejected(`event ${bad} needs a non-empty name and object data`);
    this.accepting++;
    try {
      if (!this.registrations) await this.sync();
      return batch.map((event) => this.receive(event as EventInput).internalId);
    } finally {
      this.accepting--;
      this.changed();
    }
  }

  /** Inngest's checkpoint API (`POST /v1/checkpoint/:runId/async`), after the step delay. */
  async receiveCheckpoint(
    runId: string,
    body: unknown,
  ): Promise<{ status: number; body: unknown }> {
    if (this.stepDelayMs) await new Promise((resolve) => setTimeout(resolve, this.stepDelayMs));
    return this.checkpoint(runId, body);
  }

  /** Sends what may be sent and tells whoever waits, once per turn of the event loop. */
  protected changed() {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    queueMicrotask(() => {
      this.pumping = false;
      if (this.closed) return;
      this.dispatch();
      for (const listener of [...this.listeners]) listener();
    });
  }

  /** True when nothing is executing or about to: every run has ended, sleeps or waits. */
  isIdle(): boolean {
    return this.accepting === 0 && this.runs.every((run) => !run.busy);
  }

  /** Resolves once `condition` holds, checked after every change; rejects after `timeoutMs`. */
  until(
    condition: () => boolean,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<void> {
    if (condition()) return Promise.resolve();
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const deadline = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"}; runs: ${this.describe() || "(none)"}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(deadline);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Resolves once every run has ended, sleeps or waits (see isIdle). */
  idle(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.until(() => this.isIdle(), { ...options, what: "the driver to be idle" });
  }

  /** Stops every timer; runs stay as they are and nothing more is sent. */
  close() {
    this.closed = true;
    this.realClock.stop();
  }
}
