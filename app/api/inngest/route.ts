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
  // A sync (PUT) needs no signature, so in cloud mode the endpoint registers itself at APP_URL,
  // never at the Host a request claims: a forged Host would register someone else's server.
  serveOrigin: inngest.mode === "cloud" ? env.APP_URL : undefined,
});
