import { randomBytes } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";

// Stand-in state is plain JSON shaped by vendor specs; typing every nested field would only restate them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Recorded {
  method: string;
  /** pathname, e.g. /v1/customers */
  path: string;
  /** query string; Stripe's is qs-style nested like its body */
  query: Record<string, Json>;
  /** parsed JSON, or a Stripe form body parsed qs-style into a nested object */
  body: Json;
  /** lower-cased names */
  headers: Record<string, string>;
  status: number;
  idempotencyKey?: string;
}

export interface InjectedFailure {
  /** the status answered; ignored when `when` is "lost" */
  status: number;
  /**
   * When it fails: "before" the vendor acts (the default: nothing happened), "after" it acted
   * (the work is done and the answer is this error), or "lost": it acted and its answer never
   * arrived (the connection dropped, a network error for the client).
   */
  when?: "before" | "after" | "lost";
  /** how many matching requests fail (default 1) */
  times?: number;
  headers?: Record<string, string>;
  /** default: the vendor's own error shape for that status */
  body?: unknown;
}

export interface Incoming {
  method: string;
  path: string;
  query: Record<string, Json>;
  body: Json;
  rawBody: string;
  headers: Record<string, string>;
  /** aborts when the caller gives up on the request */
  signal: AbortSignal;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type PathMatcher = string | RegExp;

export const matches = (matcher: PathMatcher, path: string) =>
  typeof matcher === "string" ? matcher === path : matcher.test(path);

/** Vendor-like random id (ids must not repeat across tests: app rows persist for the whole file). */
export function newId(prefix: string, length = 24): string {
  let id = "";
  while (id.length < length) id += randomBytes(length).toString("base64").replace(/[+/=]/g, "");
  return prefix + id.slice(0, length);
}

export const clone = <T>(value: T): T => structuredClone(value);

/** Key-order-independent JSON, to compare request payloads for idempotency. */
export { canonical } from "./canonical-json";

/**
 * One vendor API behind msw: records every request, serves injected failures first, then routes.
 * Subclasses only parse bodies, route, and shape errors like their vendor.
 */
export abstract class StandIn {
  readonly requests: Recorded[] = [];
  /** contract breaches by the caller (or gaps in the stand-in); tests assert this stays empty */
  readonly violations: string[] = [];
  private failures: Array<{
    method: string;
    path: PathMatcher;
    failure: InjectedFailure;
    left: number;
  }> = [];
  private holds: Array<{
    method: string;
    path: PathMatcher;
    hold: (request: Incoming) => Promise<unknown>;
  }> = [];

  constructor(readonly baseUrl: string) {}

  count(method: string, path: PathMatcher, opts: { status?: number | "success" } = {}): number {
    return this.requests.filter(
      (r) =>
        r.method === method.toUpperCase() &&
        matches(path, r.path) &&
        (opts.status === undefined ||
          (opts.status === "success"
            ? r.status >= 200 && r.status < 300
            : r.status === opts.status)),
    ).length;
  }

  failNext(method: string, path: PathMatcher, response: InjectedFailure): void {
    this.failures.push({
      method: method.toUpperCase(),
      path,
      failure: response,
      left: response.times ?? 1,
    });
  }

  /**
   * The next matching request stays in flight until `hold` (given the request) settles, and only
   * then does the vendor act: a slow vendor call, while other things happen. With the Inngest
   * simulator, `hold` waits on its clock (`sim.latency`).
   */
  holdNext(method: string, path: PathMatcher, hold: (request: Incoming) => Promise<unknown>): void {
    this.holds.push({ method: method.toUpperCase(), path, hold });
  }

  /** Forget requests, violations, injected failures, holds and all vendor state. */
  reset(): void {
    this.requests.length = 0;
    this.violations.length = 0;
    this.failures = [];
    this.holds = [];
    this.resetState();
  }

  handler(): HttpHandler {
    return http.all(`${this.baseUrl}/*`, ({ request }) => this.handle(request));
  }

  protected abstract resetState(): void;
  protected abstract route(req: Incoming): Reply | Promise<Reply>;
  /** The vendor's error body for an injected failure without an explicit body. */
  protected abstract failureBody(status: number): unknown;
  protected parseBody(raw: string, headers: Record<string, string>): Json {
    if (!raw) return undefined;
    if (!(headers["content-type"] ?? "").includes("json")) return raw;
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  protected parseQuery(search: URLSearchParams): Record<string, Json> {
    return Object.fromEntries(search);
  }
  protected idempotencyKeyOf(headers: Record<string, string>): string | undefined {
    return headers["idempotency-key"];
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
    const rawBody = await request.text();
    const incoming: Incoming = {
      method: request.method.toUpperCase(),
      path: url.pathname,
      query: this.parseQuery(url.searchParams),
      body: this.parseBody(rawBody, headers),
      rawBody,
      headers,
      signal: request.signal,
    };
    const record: Recorded = {
      method: incoming.method,
      path: incoming.path,
      query: incoming.query,
      body: incoming.body,
      headers,
      status: 0,
      idempotencyKey: this.idempotencyKeyOf(headers),
    };
    this.requests.push(record);

    const held = this.holds.find(
      (h) => h.method === incoming.method && matches(h.path, incoming.path),
    );
    if (held) {
      this.holds = this.holds.filter((h) => h !== held);
      await held.hold(incoming);
    }

    const injected = this.failures.find(
      (f) => f.left > 0 && f.method === incoming.method && matches(f.path, incoming.path),
    );
    let reply: Reply;
    if (injected) {
      injected.left -= 1;
      this.failures = this.failures.filter((f) => f.left > 0);
      const { status, headers: extra, body, when = "before" } = injected.failure;
      if (when === "before") this.onInjectedFailure?.(incoming);
      // The vendor does the work; only its answer is lost or replaced.
      else await this.route(incoming);
      if (when === "lost") {
        record.status = 0;
        return HttpResponse.error();
      }
      reply = { status, headers: extra, body: body ?? this.failureBody(status) };
    } else {
      reply = await this.route(incoming);
    }
    record.status = reply.status;
    return HttpResponse.json(reply.body ?? null, { status: reply.status, headers: reply.headers });
  }

  /** Hook: a request answered by an injected failure still gets checked against the contract. */
  protected onInjectedFailure?(req: Incoming): void;
}
