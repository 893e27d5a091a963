import { canonical } from "../canonical-json";
import { registrationOf, signature, type Registration } from "./protocol";

/** How the executor reaches the app's `serve()` endpoint with a run's request. */
export interface Transport {
  /**
   * POSTs a run request (`body`, canonical JSON) to a function's registered `url`, with the
   * headers Inngest adds (`x-request-id`, which the SDK echoes in its checkpoints).
   */
  post(url: URL, body: string, headers: Record<string, string>): Promise<Response>;
}

/** The app could not be reached: the request is retried, as Inngest retries it. */
export class TransportError extends Error {
  name = "TransportError";
}

type Handler = (request: Request) => Promise<Response>;

/** Calls serve handlers in this process: each function's, found by its `fnId`. */
export class InProcessTransport implements Transport {
  constructor(
    private readonly handlers: ReadonlyMap<string, Handler>,
    /** Real ms before each request reaches the app: Inngest's queue and network (benchmarks). */
    private readonly latencyMs = 0,
  ) {}

  async post(url: URL, body: string, headers: Record<string, string>): Promise<Response> {
    const handler = this.handlers.get(url.searchParams.get("fnId") ?? "");
    if (!handler) throw new Error(`No serve handler for ${url.href}`);
    if (this.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return handler(
      new Request(url, {
        method: "POST",
        // The SDK's web handler resolves the URL against the host header.
        headers: { ...headers, "content-type": "application/json", host: url.host },
        body,
      }),
    );
  }
}

interface HttpTransportOptions {
  /** Signs every request, as Inngest does; the SDK in cloud mode refuses unsigned ones. */
  signingKey?: string;
  requestTimeoutMs?: number;
  /** A pause before each request, in real ms, so a person (or a polling page) can follow. */
  pauseMs?: number;
}

/** Calls the app over HTTP, as the Inngest server does. */
export class HttpTransport implements Transport {
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpTransportOptions = {}) {
    this.timeoutMs = options.requestTimeoutMs ?? 5 * 60_000;
  }

  private headers(body: string, extra: Record<string, string> = {}) {
    const { signingKey } = this.options;
    return {
      "content-type": "application/json",
      "x-inngest-server-kind": signingKey ? "cloud" : "dev",
      ...(signingKey ? { "x-inngest-signature": signature(body, signingKey) } : {}),
      ...extra,
    };
  }

  async post(url: URL, body: string, headers: Record<string, string>): Promise<Response> {
    if (this.options.pauseMs) {
      await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
    try {
      return await fetch(url, {
        method: "POST",
        headers: this.headers(body, headers),
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      throw new TransportError(`The app did not answer: ${cause}`);
    }
  }

  /**
   * Asks the app at `serveUrl` for its functions (in-band sync). Null when the app synced out of
   * band instead (INNGEST_ALLOW_IN_BAND_SYNC=0): its registration then went to its INNGEST_BASE_URL.
   */
  async sync(serveUrl: string): Promise<Registration | null> {
    const body = canonical({ url: serveUrl });
    const response = await fetch(serveUrl, {
      method: "PUT",
      headers: this.headers(body, { "x-inngest-sync-kind": "in_band" }),
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((error: unknown) => {
      const cause = error instanceof Error ? (error.cause ?? error).toString() : String(error);
      throw new Error(
        `Could not reach ${serveUrl} to sync its functions (${cause}); is the app running?`,
      );
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`Syncing ${serveUrl} failed with ${response.status}: ${text.slice(0, 500)}`);
    }
    if (response.headers.get("x-inngest-sync-kind") !== "in_band") return null;
    return registrationOf(JSON.parse(text));
  }
}
