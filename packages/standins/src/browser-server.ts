import { httpBridge, simulatedSdks } from "./browser/scripts";
import type { FakeClerkFrontend } from "./clerk/frontend-api";
import type { FakeStripeJs } from "./stripe/stripe-js";

type Json = Record<string, unknown>;

export interface BrowserSide {
  /** The app's origin: the only page allowed to call the stand-ins. */
  appOrigin: string;
  /** Clerk's Frontend API, when Clerk is simulated. */
  clerk?: FakeClerkFrontend;
  /** Stripe.js's side of Stripe, when Stripe is simulated. */
  stripe?: FakeStripeJs;
  /** Stripe's hosted pages (Checkout, the Customer Portal), when Stripe is simulated. */
  hostedPages?: (request: Request) => Promise<Response | null>;
}

/**
 * What a browser reaches in demo mode, in place of Clerk's and Stripe's browser-facing hosts:
 *
 * - `GET /browser.js`: the simulated clerk-js and Stripe.js, installed as window.Clerk and
 *   window.Stripe before the app's scripts (app/layout.tsx loads it first), talking to this server;
 * - `POST /frontend/clerk`, `POST /frontend/stripe`: what they ask, `{ op, payload }`, answered
 *   by the Frontend API and Stripe.js stand-ins;
 * - `GET /v1/client/handshake`: Clerk's handshake, where the app's Clerk middleware sends a page
 *   load that needs fresh session cookies (the publishable key names this server);
 * - `GET /clerk-js/loaded.js`: an empty script for @clerk/nextjs's own clerk-js tag, since the
 *   simulated clerk-js is already there;
 * - `/checkout/…`, `/portal/…`: Stripe's hosted pages.
 */
export function browserSideHandler(side: BrowserSide) {
  const cors = { "access-control-allow-origin": side.appOrigin, vary: "origin" };
  // @clerk/nextjs asks for its script tag with crossorigin="anonymous": CORS applies.
  const script = (body: string) =>
    new Response(body, {
      headers: {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "no-store",
        ...cors,
      },
    });

  return async (request: Request, origin: string): Promise<Response> => {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/browser.js") {
      const sdks = simulatedSdks();
      return script(
        [httpBridge(origin), side.stripe && sdks.stripe, side.clerk && sdks.clerk]
          .filter(Boolean)
          .join("\n"),
      );
    }
    if (request.method === "GET" && url.pathname === "/clerk-js/loaded.js") {
      return script(
        "// clerk-js is simulated: /browser.js installed it before the app's scripts.\n",
      );
    }

    const vendor = /^\/frontend\/(clerk|stripe)$/.exec(url.pathname)?.[1];
    if (vendor && request.method === "POST") {
      // Any page may POST text/plain here; only the app's pages may act as its visitors.
      if (request.headers.get("origin") !== side.appOrigin) {
        return Response.json({ error: "Only the app's pages may call this." }, { status: 403 });
      }
      const handler = vendor === "clerk" ? side.clerk : side.stripe;
      if (!handler) {
        return Response.json(
          { error: `${vendor} is not simulated` },
          { status: 404, headers: cors },
        );
      }
      const { op, payload } = (await request.json()) as { op: string; payload?: Json };
      return Response.json(handler.handle(op, payload ?? {}), { headers: cors });
    }

    if (side.clerk && request.method === "GET" && url.pathname === "/v1/client/handshake") {
      return new Response(null, {
        status: 307,
        headers: { location: side.clerk.handshakeRedirect(url), "cache-control": "no-store" },
      });
    }

    const hosted = await side.hostedPages?.(request);
    return hosted ?? new Response("Not part of the demo stand-ins", { status: 404 });
  };
}
