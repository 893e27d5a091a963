// `npm run events:send -- <file> [--id <event id>]`: sends a sample event to a running Inngest dev
// server, so a workflow can be started without Clerk or Stripe. The file may be a Clerk webhook
// body, a Stripe event, or an Inngest event ({ name, data }); see packages/standins/contracts.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
// A CommonJS bundle: Node's ESM loader sees only its default export.
import nextEnv from "@next/env";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { id: { type: "string" } },
});
const [file] = positionals;
if (!file || positionals.length > 1)
  exit("Usage: npm run events:send -- <event file> [--id <event id>]");

const payload = await readEventFile(file);

// The same .env files `next dev` reads (.env.local among them), so INNGEST_* set there apply here.
nextEnv.loadEnvConfig(process.cwd(), true);
// A CLI for local runs: talk to the dev server unless told otherwise (INNGEST_DEV=0 for Cloud).
process.env.INNGEST_DEV ??= "1";
const { inngest } = await import("@/inngest/client");
const { clerkEvent } = await import("@/lib/webhooks/clerk");
const { isPlainObject } = await import("@/lib/webhooks/ingress");
const { stripeEvent } = await import("@/lib/webhooks/stripe");

// A fresh id unless one is given: Inngest drops a second event with the same id for 24 hours.
const id = values.id ?? `cli-${randomUUID()}`;
const event =
  stripeEvent(payload) ??
  clerkEvent(id, payload) ??
  (isPlainObject(payload) && typeof payload.name === "string" && isPlainObject(payload.data)
    ? { name: payload.name, data: payload.data }
    : null);
if (!event) exit(`${file} is neither a Clerk webhook body, a Stripe event nor { name, data }`);

try {
  await inngest.send({ ...event, id });
} catch (error) {
  console.error(
    `Could not send ${event.name} to Inngest at ${inngest.apiBaseUrl ?? "its default URL"}: ${error instanceof Error ? error.message : error}`,
  );
  console.error(
    "Is the Inngest dev server running? `npm run dev` starts it (its warning says why if it cannot); docs/development.md, Running locally, has other ways.",
  );
  process.exit(1);
}
console.log(`Sent ${event.name} (id ${id}); follow the run in the Inngest dev server.`);

/** The file as JSON, or exit 2 with one line naming the file and what is wrong with it. */
async function readEventFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    // Node's message ends with the syscall and path (", open 'x.json'"): the path is named already.
    const why =
      error instanceof Error ? error.message.replace(/, \w+( '.*')?$/, "") : String(error);
    return exit(`Cannot read ${path}: ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    return exit(`${path} is not JSON: ${error instanceof Error ? error.message : error}`);
  }
}

/** Exit code 2: the command line or the file is wrong, not Inngest. */
function exit(message: string): never {
  console.error(message);
  process.exit(2);
}
