// The Inngest driver as a standalone server, in place of the Inngest dev server:
//
//   npx tsx packages/standins/src/inngest/cli.ts [--port 8288]
//       [--serve-url http://localhost:3000/api/inngest] [--time-scale 1] [--step-delay 0]
//
// It listens on 127.0.0.1 only and prints what the app needs (INNGEST_BASE_URL and the keys its
// SDK authenticates with: every call but `GET /` needs one) and the link to its runs, with this
// start's token. INNGEST_SIGNING_KEY, when set here, is taken as the app's and signs every request
// (for an app in cloud mode); INNGEST_EVENT_KEY, when set, is the event key accepted. The app is
// synced when the first event arrives.
import { parseArgs } from "node:util";
import { serveInngestDriver } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.INNGEST_DRIVER_PORT ?? "8288" },
    "serve-url": { type: "string", default: "http://localhost:3000/api/inngest" },
    "time-scale": { type: "string", default: "1" },
    "step-delay": { type: "string", default: "0" },
  },
});

const number = (name: string, value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    console.error(`--${name} must be a number of at least 0, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return parsed;
};

const served = await serveInngestDriver({
  port: number("port", values.port),
  serveUrl: values["serve-url"],
  timeScale: number("time-scale", values["time-scale"]),
  stepDelayMs: number("step-delay", values["step-delay"]),
  signingKey: process.env.INNGEST_SIGNING_KEY || undefined,
  eventKey: process.env.INNGEST_EVENT_KEY || undefined,
  log: (line) => console.log(`[inngest-driver] ${line}`),
});
console.log(
  [
    `[inngest-driver] listening on ${served.url}, running functions at ${values["serve-url"]}`,
    `[inngest-driver] runs: ${served.consoleUrl}`,
    "[inngest-driver] start the app with INNGEST_DEV=1 (unless it runs in cloud mode) and:",
    ...Object.entries(served.appEnv).map(([name, value]) => `  ${name}=${value}`),
  ].join("\n"),
);

const stop = () => void served.close().then(() => process.exit(0));
process.on("SIGINT", stop).on("SIGTERM", stop);
