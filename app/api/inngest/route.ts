import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest";
import { env } from "@/lib/env";

export const { GET, POST, PUT } = serve({
  client: inngest,
  functions,
  // A sync (PUT) needs no signature, so the endpoint registers itself at the configured origin,
  // never at the Host a request claims: a forged Host would register someone else's server and
  // send it every later run. In dev mode too (anyone on the network could PUT).
  serveOrigin: env.INNGEST_SERVE_ORIGIN ?? env.APP_URL,
});
