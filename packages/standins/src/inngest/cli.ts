// The Inngest driver as a standalone server, in place of the Inngest dev server:
//
//   npx tsx packages/standins/src/inngest/cli.ts [--port 8288] [--host 127.0.0.1]
//       [--serve-url http://localhost:3000/api/inngest] [--time-scale 1] [--step-delay 0]
//
// then start the app with INNGEST_DEV=1 and INNGEST_BASE_URL=http://127.0.0.1:8288 (with
// INNGEST_DEV=1 alone the SDK already looks on port 8288). INNGEST_SIGNING_KEY, when set here,
// signs every request (for an app in cloud mode); INNGEST_EVENT_KEY, when set, is the only event
// key accepted. The app is synced when the first event arrives; GET /runs lists the runs.
import { parseArgs } from "node:util";
import { serveInngestDriver } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.INNGEST_DRIVER_PORT ?? "8288" },
    host: { type: "string", default: "127.0.0.1" },
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
  host: values.host,
  serveUrl: values["serve-url"],
  timeScale: number("time-scale", values["time-scale"]),
  stepDelayMs: number("step-delay", values["step-delay"]),
  signingKey: process.env.INNGEST_SIGNING_KEY || undefined,
  eventKey: process.env.INNGEST_EVENT_KEY || undefined,
  log: (line) => console.log(`[inngest-driver] ${line}`),
});
console.log(
  `[inngest-driver] listening on ${served.url}, running functions at ${values["serve-url"]}`,
);

const stop = () => void served.close().then(() => process.exit(0));
process.on("SIGINT", stop).on("SIGTERM", stop);
