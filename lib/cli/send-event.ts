// `npm run events:send -- <file> [--id <event id>]`: sends a sample event to a running Inngest dev
// server, so a workflow can be started without Clerk or Stripe. The file may be a Clerk webhook
// body, a Stripe event, or an Inngest event ({ name, data }); see test/fixtures.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { id: { type: "string" } },
});
const [file] = positionals;
if (!file || positionals.length > 1) {
  console.error("Usage: npm run events:send -- <event file> [--id <event id>]");
  process.exit(2);
}

// A CLI for local runs: talk to the dev server unless told otherwise (INNGEST_DEV=0 for Cloud).
process.env.INNGEST_DEV ??= "1";
const { inngest } = await import("@/inngest/client");
const { clerkEvent } = await import("@/lib/webhooks/clerk");
const { isPlainObject } = await import("@/lib/webhooks/ingress");
const { stripeEvent } = await import("@/lib/webhooks/stripe");

// A fresh id unless one is given: Inngest drops a second event with the same id for 24 hours.
const id = values.id ?? `cli-${randomUUID()}`;
const payload: unknown = JSON.parse(await readFile(file, "utf8"));
const event =
  stripeEvent(payload) ??
  clerkEvent(id, payload) ??
  (isPlainObject(payload) && typeof payload.name === "string" && isPlainObject(payload.data)
    ? { name: payload.name, data: payload.data }
    : null);
if (!event) {
  console.error(`${file} is neither a Clerk webhook body, a Stripe event nor { name, data }`);
  process.exit(2);
}

try {
  await inngest.send({ ...event, id });
} catch (error) {
  console.error(
    `Could not send ${event.name} to Inngest at ${inngest.apiBaseUrl ?? "its default URL"}: ${error instanceof Error ? error.message : error}`,
  );
  console.error(
    "Is the dev server running? npx inngest-cli@latest dev -u http://localhost:3000/api/inngest",
  );
  process.exit(1);
}
console.log(`Sent ${event.name} (id ${id}); follow the run in the Inngest dev server.`);
