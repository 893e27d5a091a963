import type { InngestFunction } from "inngest";
import { serve } from "inngest/edge";
import { SimulatedClock } from "./clock";
import { Executor, type EventInput, type Faults } from "./executor";
import { addLiveExecutor } from "./live-executors";
import type { ExecutionMode, FunctionConfig, Registration } from "./protocol";
import type { Run } from "./run";
import { DAY, toMs } from "./time";
import { InProcessTransport } from "./transport";

/**
 * For function tests: the executor (executor.ts) on a simulated clock, calling the functions'
 * serve handler in this process, so a test sees what Inngest does rather than what a mock
 * answers. What it does not simulate throws, so no test believes it was applied.
 *
 * Time only moves when nothing else can happen (discrete-event simulation): requests in flight
 * (possibly several runs at once, interleaving for real) finish first, unless they wait on the
 * simulated clock themselves (`latency`), then the clock jumps to the next timer. A checkpoint is
 * a moment too: the step is saved, conditions are checked, and the request goes on only when the
 * simulation is driven again (the window in which a test may act between a step and what its
 * request does next). Tests drive it with `until`, `advance` and `settle`, and may `send` at any moment,
 * also from inside a vendor stand-in's handler while a step is in flight. Application code still
 * reads the real clock (Date.now()); only Inngest's side of time is simulated.
 *
 *   const sim = new InngestSim({ functions: [provisionSubscription] });
 *   const [run] = sim.send(userCreatedEvent);
 *   await sim.until(() => run.waitingFor("wait-for-payment-details"));
 *   sim.send({ name: "app/onboarding.submitted", data: { userId, tier: "pro", confirmationToken } });
 *   await sim.settle();
 *   expect(run.status).toBe("completed");
 *
 * It runs steps as Inngest runs a v4 app's, with checkpointing: the SDK reports each step to
 * Inngest's API at the app's INNGEST_BASE_URL, which the Inngest API stand-in serves (msw, from
 * setupVendors() or createVendors()) and hands to the simulator whose run it is.
 * STANDIN_INNGEST_MODE=step-by-step (or `mode`) makes every step its own request instead.
 */

export interface InngestSimOptions {
  /** The functions Inngest knows, as handed to serve(). Their onFailure handlers come along. */
  functions: InngestFunction.Any[];
  /** Default: STANDIN_INNGEST_MODE, else "checkpointing" (what Inngest does with v4 apps). */
  mode?: ExecutionMode;
  /** Lost answers (steps that run twice) and delayed cancellation; none by default. */
  faults?: Faults;
  /** Real ms before each request reaches the app (Inngest's queue and network), for benchmarks. */
  requestLatencyMs?: number;
}

/** The mode a simulator runs in unless told: STANDIN_INNGEST_MODE, else checkpointing. */
function defaultMode(): ExecutionMode {
  const mode = process.env.STANDIN_INNGEST_MODE;
  if (mode === undefined || mode === "" || mode === "checkpointing") return "checkpointing";
  if (mode === "step-by-step") return mode;
  throw new Error(`STANDIN_INNGEST_MODE is "checkpointing" or "step-by-step", not "${mode}"`);
}

const SERVE_URL = new URL("http://inngest-sim.test/api/inngest");
/** A run still going after this much simulated time is a runaway (a loop, a cron). */
const HORIZON = 400 * DAY;

export class InngestSim extends Executor {
  private readonly simulated: SimulatedClock;
  private readonly startedAt: number;
  /** Checkpoints answered but not yet let through, in order. */
  private held: (() => void)[] = [];
  /** Work in flight that only waits for the simulated clock (`latency`). */
  private waitingOnClock = 0;
  /** Wakes the event loop when a checkpoint arrives or work in flight starts waiting for the clock. */
  private wake: () => void = () => {};

  constructor(options: InngestSimOptions) {
    const clock = new SimulatedClock();
    const handlers = new Map<string, (request: Request) => Promise<Response>>();
    const apps = appsOf(options.functions, handlers);
    super({
      clock,
      transport: new InProcessTransport(handlers, options.requestLatencyMs),
      strict: true,
      mode: options.mode ?? defaultMode(),
      faults: options.faults,
    });
    this.simulated = clock;
    this.startedAt = clock.now();
    this.registerApps(apps);
    addLiveExecutor(this);
  }

  /** Simulated time since the simulation began, ms. */
  elapsed(): number {
    return this.now() - this.startedAt;
  }

  /** Saves the checkpoint now; the SDK hears back when the simulation is next driven. */
  override answerCheckpoint(runId: string, body: unknown) {
    const answer = this.checkpoint(runId, body);
    return new Promise<typeof answer>((resolve) => {
      this.held.push(() => resolve(answer));
      this.wake();
    });
  }

  /** Inngest receives the events `delay` from now ("5m", or ms). */
  sendAfter(delay: string | number, events: EventInput | EventInput[]): void {
    this.simulated.schedule(this.now() + toMs(delay), () => this.send(events));
  }

  /**
   * Does `action` `delay` from now on the simulated clock: what a person or a vendor does at that
   * moment (a payment, a deletion in Clerk, a dashboard edit). An async action is waited for like
   * a request in flight; if it throws, the simulation fails with its error.
   */
  after(delay: string | number, action: () => unknown): void {
    this.simulated.schedule(this.now() + toMs(delay), () => {
      const done: Promise<void> = Promise.resolve()
        .then(action)
        .then(
          () => undefined,
          (error: unknown) => {
            this.failure ??= error;
          },
        )
        .finally(() => this.inFlight.delete(done));
      this.inFlight.add(done);
    });
  }

  /**
   * Resolves once `delay` of simulated time has passed: a vendor call's latency, for a stand-in to
   * wait on while a request is in flight (`holdNext`). While everything in flight waits on the
   * clock like this, the clock moves on, so what is due meanwhile (a deletion, another run's
   * steps, timers) happens while the vendor call is in flight.
   */
  latency(delay: string | number): Promise<void> {
    this.waitingOnClock += 1;
    this.wake();
    return new Promise((resolve) =>
      this.simulated.schedule(this.now() + toMs(delay), () => {
        this.waitingOnClock -= 1;
        resolve();
      }),
    );
  }

  /**
   * Lets the simulation go on until `condition` holds (checked after every answer and timer; it
   * may be async, e.g. read the database), advancing the clock as needed; fails if nothing is left
   * to happen first, or when `within` (a duration) has passed. Requests of other runs may still be
   * in flight when it returns.
   */
  async until(condition: () => unknown, options: { within?: string | number } = {}): Promise<void> {
    const horizon = options.within === undefined ? undefined : this.now() + toMs(options.within);
    if (await this.drive(async () => Boolean(await condition()), horizon)) return;
    throw new Error(
      `The condition never held: ${horizon === undefined ? "nothing was left to happen" : `not within ${options.within}`}. Runs: ${this.describe()}`,
    );
  }

  /** Lets `delay` of simulated time pass, with everything due in it happening. */
  async advance(delay: string | number): Promise<void> {
    const target = this.now() + toMs(delay);
    await this.drive(() => false, target);
    this.simulated.advanceTo(target);
  }

  /** Lets the simulation go on until nothing is left to happen: every run has ended. */
  async settle(): Promise<void> {
    await this.drive(() => false);
  }

  /**
   * The event loop: send what may be sent, wait for answers while any are in flight, and only when
   * nothing else can happen, move the clock to the next timer(s). True once `done` holds; false
   * when nothing is left to happen (up to `horizon`, when given).
   */
  private async drive(done: () => boolean | Promise<boolean>, horizon?: number): Promise<boolean> {
    for (;;) {
      this.rethrow();
      if (await done()) return true;
      this.releaseCheckpoints();
      this.dispatch();
      if (this.inFlight.size > this.waitingOnClock) {
        const parked = new Promise<void>((resolve) => (this.wake = resolve));
        await Promise.race([...this.inFlight, parked]);
        continue;
      }
      const next = this.simulated.next();
      if (next === undefined || (horizon !== undefined && next > horizon)) return false;
      if (next - this.startedAt > HORIZON) {
        throw new Error(
          `Still running after ${HORIZON / DAY} simulated days. Runs: ${this.describe()}`,
        );
      }
      this.simulated.advanceTo(next);
    }
  }

  /** Lets the requests waiting on their checkpoint's answer go on. */
  private releaseCheckpoints() {
    const held = this.held;
    this.held = [];
    for (const release of held) release();
  }

  /** Throws what went wrong; the requests held at a checkpoint are let go first, to end. */
  private rethrow() {
    if (this.failure === undefined) return;
    this.releaseCheckpoints();
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }
}

/** The functions' configs by app, each client's serve handler filed under its functions' ids. */
function appsOf(
  functions: InngestFunction.Any[],
  handlers: Map<string, (request: Request) => Promise<Response>>,
): Registration[] {
  const byClient = new Map<unknown, InngestFunction.Any[]>();
  for (const fn of functions) {
    const client = (fn as unknown as { client: unknown }).client;
    byClient.set(client, [...(byClient.get(client) ?? []), fn]);
  }
  return [...byClient].map(([client, fns]) => {
    const handler = serve({ client: client as never, functions: fns });
    const appId = (client as { id: string }).id;
    const configs = fns.flatMap((fn) =>
      (
        fn as unknown as {
          getConfig(opts: { baseUrl: URL; appPrefix: string }): FunctionConfig[];
        }
      ).getConfig({ baseUrl: SERVE_URL, appPrefix: appId }),
    );
    for (const config of configs) handlers.set(config.id, handler);
    return { appId, functions: configs };
  });
}

/**
 * One run of `fn` for `event` from start to end on a fresh simulator (retries, sleeps and
 * timeouts included; nothing else is sent, so every wait times out). The run, with its outcome.
 */
export async function runFunction(
  fn: InngestFunction.Any,
  event: EventInput,
  options: Omit<InngestSimOptions, "functions"> = {},
): Promise<Run> {
  const sim = new InngestSim({ ...options, functions: [fn] });
  const run = sim.start(fn, event);
  await sim.settle();
  return run;
}
