import { randomBytes, timingSafeEqual } from "node:crypto";
import { hashedSigningKey } from "./protocol";

/**
 * Who may use a driver served on a port. Any web page the developer opens can reach it: a simple
 * POST needs no preflight, and with DNS rebinding a page can read the answers too (the runs hold
 * every sign-up's email). So it answers only requests addressed to a loopback name, and all but
 * `GET /` need a secret of this start: the event key the app sends events with (`POST /e/:key`),
 * the signing key its SDK authenticates every other API call with (hashed, as Inngest's API takes
 * it), or the token a person has: the console link's `?token=` (then kept in a SameSite=Strict
 * cookie, so a page elsewhere cannot send it) or `Authorization: Bearer <token>`. Every route,
 * present or future, sits behind this check.
 */
export interface DriverAccess {
  token: string;
  /** What `POST /e/:key` must name: the app's INNGEST_EVENT_KEY. */
  eventKey: string;
  /** The app's INNGEST_SIGNING_KEY, whose hash its SDK sends as `Authorization: Bearer`. */
  signingKey: string;
}

type Handler = (request: Request) => Promise<Response>;

const secret = () => randomBytes(32).toString("hex");

/** Fresh secrets for one start; a key given (to match an app already configured) is kept. */
export function newDriverAccess(given: { eventKey?: string; signingKey?: string } = {}) {
  return {
    token: secret(),
    eventKey: given.eventKey ?? secret(),
    signingKey: given.signingKey ?? `signkey-dev-${secret()}`,
  } satisfies DriverAccess;
}

const loopbackNames = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isLoopback(host: string | null) {
  if (!host) return false;
  try {
    return loopbackNames.has(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

function same(offered: string | null | undefined, expected: string) {
  if (!offered) return false;
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(request: Request, name: string) {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}

const refuse = (status: number, error: string) => Response.json({ error, status }, { status });

/** `handle` behind the checks above. */
export function guarded(access: DriverAccess, handle: Handler): Handler {
  const bearers = [access.token, hashedSigningKey(access.signingKey)];
  return async (request) => {
    const url = new URL(request.url);
    const host = request.headers.get("host");
    if (!isLoopback(host)) {
      return refuse(
        403,
        `The Inngest driver answers only requests addressed to localhost, 127.0.0.1 or [::1], not ${JSON.stringify(host)}`,
      );
    }
    if (request.method === "GET" && url.pathname === "/") return handle(request);

    const eventKey = /^\/e\/([^/]+)$/.exec(url.pathname)?.[1];
    if (request.method === "POST" && eventKey !== undefined) {
      return same(decodeURIComponent(eventKey), access.eventKey)
        ? handle(request)
        : refuse(401, "Event key not found");
    }

    // Per port: two drivers on one machine share a cookie jar for 127.0.0.1.
    const cookieName = `inngest_driver_${url.port}`;
    const authorization = request.headers.get("authorization")?.replace(/^Bearer /, "");
    const linkToken = url.searchParams.get("token");
    const offered = [authorization, cookie(request, cookieName), linkToken];
    if (!offered.some((value) => bearers.some((expected) => same(value, expected)))) {
      return refuse(
        401,
        "The Inngest driver needs the token of this start: open the console link `npm run dev` printed (…/runs?token=…), or send Authorization: Bearer <token>",
      );
    }
    const response = await handle(request);
    const headers = new Headers(response.headers);
    // The token may be in this page's URL: it goes nowhere else.
    headers.set("referrer-policy", "no-referrer");
    if (same(linkToken, access.token)) {
      headers.append(
        "set-cookie",
        `${cookieName}=${access.token}; Path=/; HttpOnly; SameSite=Strict`,
      );
    }
    return new Response(response.body, { status: response.status, headers });
  };
}
