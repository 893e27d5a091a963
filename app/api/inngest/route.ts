import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest";
import { env } from "@/lib/env";

export const { GET, POST, PUT } = serve({
  client: inngest,
  functions,
  // A sync (PUT) needs no signature, so in cloud mode the endpoint registers itself at APP_URL,
  // never at the Host a request claims: a forged Host would register someone else's server.
  serveOrigin: inngest.mode === "cloud" ? env.APP_URL : undefined,
});
