import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest";
import { env } from "@/lib/env";

/**
 * Where the platform limits a request's duration (Vercel): a request runs steps for up to
 * INNGEST_CHECKPOINT_MAX_RUNTIME (10 s by default) and then finishes the step it is in. 60 s is
 * the most every Vercel plan allows; raise both together on a plan that allows more.
 */
export const maxDuration = 60;

export const { GET, POST, PUT } = serve({
  client: inngest,
  functions,
  // A sync (PUT) needs no signature, so the endpoint registers itself at the configured origin,
  // never at the Host a request claims: a forged Host would register someone else's server and
  // send it every later run. In dev mode too (anyone on the network could PUT).
  serveOrigin: env.INNGEST_SERVE_ORIGIN ?? env.APP_URL,
});
