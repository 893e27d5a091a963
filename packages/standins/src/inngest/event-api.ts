import { randomBytes } from "node:crypto";
import { StandIn, clone, type Incoming, type Json, type Reply } from "../standin";
import { executorOfRun } from "./live-executors";
import { checkpointedRun } from "./protocol";

export interface ReceivedEvent {
  /** the id the app chose (dedup key), if any */
  id?: string;
  name: string;
  data: Json;
  ts?: number;
  v?: string;
}

// Inngest answers with its own ULID-style ids, not the dedup ids the client sent.
const ulid = () => `01${randomBytes(12).toString("hex").toUpperCase().slice(0, 24)}`;

/**
 * The Inngest API as the SDK uses it in dev mode (baseUrl http://inngest.test):
 * `POST /e/:eventKey` (send), `POST /fn/register` (PUT /api/inngest out-of-band sync) and
 * `POST /v1/checkpoint/:runId/async` (steps a checkpointing request ran), which it hands to the
 * simulator running that run (live-executors.ts). No dedup here: Inngest dedups by id
 * server-side; tests count ids in `events`.
 */
export class InngestStandIn extends StandIn {
  readonly events: ReceivedEvent[] = [];
  /** request bodies of POST /fn/register */
  readonly registrations: Json[] = [];
  private refused: { matches: (event: ReceivedEvent) => boolean; status: number } | null = null;
  /** How long an event request takes to be answered: milliseconds, or until `release()`. */
  private latency: number | "hang" = 0;
  private hung = new Set<() => void>();
  private outage: { until: number; status: number } | null = null;
  /** Event requests being answered now, and the most there were at once. */
  private open = 0;
  maxConcurrentRequests = 0;
  /** Event requests the sender gave up on while they hung: Inngest never took their events. */
  abandonedRequests = 0;
  /** Receives each event the app sent, once accepted (a test hands them to its Inngest simulator). */
  onEvent: ((event: ReceivedEvent) => void) | null = null;

  protected resetState(): void {
    this.events.length = 0;
    this.registrations.length = 0;
    this.refused = null;
    this.release();
    this.latency = 0;
    this.outage = null;
    this.maxConcurrentRequests = 0;
    this.abandonedRequests = 0;
  }

  /**
   * Answers every event request `ms` late: a slow Inngest. It takes the events when it answers,
   * also when the sender has given up by then (the request had reached it).
   */
  answerAfter(ms: number): void {
    this.latency = ms;
  }

  /**
   * Every event request from now on hangs, and takes nothing, until `release()` or until its
   * sender gives up (counted in `abandonedRequests`): a hung Inngest.
   */
  hang(): void {
    this.latency = "hang";
  }

  /** Ends a hang: the requests still hanging are answered as usual, and so are later ones. */
  release(): void {
    this.latency = 0;
    for (const resume of this.hung) resume();
    this.hung.clear();
  }

  /** Fails every event request with `status` for the next `ms`: an outage, then recovery. */
  failFor(ms: number, status = 503): void {
    this.outage = { until: Date.now() + ms, status };
  }

  /** Event requests waiting in a hang now. */
  get hangingRequests(): number {
    return this.hung.size;
  }

  /** Event requests not answered yet (hanging, or slow). */
  get openRequests(): number {
    return this.open;
  }

  /**
   * Refuse (400 by default, nothing accepted) every request carrying an event that matches, as
   * Inngest refuses a whole request over one bad event (too large, for example). `matches` sees
   * every event of the request, so it may also count them.
   */
  refuseEvents(matches: (event: ReceivedEvent) => boolean, status = 400): void {
    this.refused = { matches, status };
  }

  /** A checkpoint an injected failure refused still counts as the SDK having tried. */
  protected onInjectedFailure(req: Incoming): void {
    const runId = checkpointedRun(req.path);
    if (runId) executorOfRun(runId)?.checkpointAttempted(runId, req.body);
  }

  protected failureBody(status: number): unknown {
    return { error: `Injected failure ${status}`, status };
  }

  /** Events named `name`, in arrival order. */
  eventsNamed(name: string): ReceivedEvent[] {
    return this.events.filter((e) => e.name === name);
  }

  protected async route(req: Incoming): Promise<Reply> {
    if (req.method === "POST" && /^\/e\/[^/]+$/.test(req.path)) {
      this.open += 1;
      this.maxConcurrentRequests = Math.max(this.maxConcurrentRequests, this.open);
      try {
        return await this.eventRequest(req);
      } finally {
        this.open -= 1;
      }
    }
    const runId = checkpointedRun(req.path);
    if (req.method === "POST" && runId) {
      const executor = executorOfRun(runId);
      if (!executor) {
        this.violations.push(
          `a checkpoint for run ${runId}, which no simulator in this process made`,
        );
        return { status: 404, body: { error: `run ${runId} not found` } };
      }
      return executor.answerCheckpoint(runId, req.body);
    }
    if (req.method === "POST" && req.path === "/fn/register") {
      this.registrations.push(clone(req.body));
      return { status: 200, body: { status: 200, skipped: false, modified: false } };
    }
    this.violations.push(`inngest stand-in does not implement ${req.method} ${req.path}`);
    return {
      status: 404,
      body: { error: `${req.method} ${req.path} is not implemented by the stand-in`, status: 404 },
    };
  }

  private async eventRequest(req: Incoming): Promise<Reply> {
    if (this.outage && Date.now() < this.outage.until) {
      const { status } = this.outage;
      return { status, body: this.failureBody(status) };
    }
    if (this.latency === "hang") {
      const abandoned = await new Promise<boolean>((resolve) => {
        if (req.signal.aborted) return resolve(true);
        const resume = () => resolve(false);
        this.hung.add(resume);
        req.signal.addEventListener("abort", () => {
          this.hung.delete(resume);
          resolve(true);
        });
      });
      if (abandoned) {
        this.abandonedRequests += 1;
        return { status: 499, body: { error: "the sender gave up", status: 499 } };
      }
    } else if (this.latency > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.latency as number));
    }
    return this.receive(req.body);
  }

  private receive(body: Json): Reply {
    const batch: Json[] = Array.isArray(body) ? body : [body];
    const bad = batch.findIndex(
      (e) =>
        !e ||
        typeof e.name !== "string" ||
        !e.name ||
        (e.data !== undefined && (typeof e.data !== "object" || Array.isArray(e.data))),
    );
    if (bad >= 0) {
      this.violations.push(`POST /e: event ${bad} needs a non-empty name and object data`);
      return { status: 400, body: { error: `event ${bad} is invalid`, status: 400 } };
    }
    const refused = this.refused;
    if (refused && batch.filter((e) => refused.matches(e as ReceivedEvent)).length > 0) {
      const error = refused.status === 400 ? "Event payload too large" : "Injected failure";
      return { status: refused.status, body: { error, status: refused.status } };
    }
    const received: ReceivedEvent[] = batch.map((e) => ({
      id: e.id,
      name: e.name,
      data: clone(e.data ?? {}),
      ts: e.ts,
      v: e.v,
    }));
    this.events.push(...received);
    for (const event of received) this.onEvent?.(clone(event));
    const ids = received.map(() => ulid());
    return { status: 200, body: { ids, status: 200 } };
  }
}
