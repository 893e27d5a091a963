// `npm run new:function -- <name> --event <event>`: the four touches of a new event-driven step,
// made for you: the event in inngest/events.ts (if it is new), the function file, its line in
// inngest/index.ts, and a passing test. Then edit the step to do the real work.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

export interface Scaffold {
  name: string;
  event: string;
}

export function parseScaffoldArgs(argv: string[]): Scaffold {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { event: { type: "string" } },
    allowPositionals: true,
  });
  const [name] = positionals;
  const usage =
    "usage: npm run new:function -- <name> --event <event>   e.g. notify-sales --event app/trial.converted";
  if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(`${usage}\n<name> is kebab-case and says what the function does.`);
  }
  if (!values.event || !/^[a-z]+\/[A-Za-z0-9_.-]+$/.test(values.event)) {
    throw new Error(
      `${usage}\n--event is an event name such as clerk/user.created or app/<noun>.<verb>.`,
    );
  }
  return { name, event: values.event };
}

const camelCase = (text: string) =>
  text.replace(/[-_./]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());

/** The exported name of an event in inngest/events.ts: app/trial.converted → trialConverted. */
const eventConstName = (event: string) =>
  camelCase(event.split("/")[1]!.replace(/^[A-Z]/, (c) => c.toLowerCase()));

/** Writes the files under `root`; returns the paths it created or changed. */
export function scaffoldFunction(root: string, { name, event }: Scaffold): string[] {
  const functionName = camelCase(name);
  const functionFile = path.join(root, "inngest/functions", `${name}.ts`);
  const testFile = path.join(root, "test/functions", `${name}.test.ts`);
  const eventsFile = path.join(root, "inngest/events.ts");
  const indexFile = path.join(root, "inngest/index.ts");
  if (existsSync(functionFile))
    throw new Error(`${path.relative(root, functionFile)} already exists`);

  const changed: string[] = [];
  let events = readFileSync(eventsFile, "utf8");
  const existing = new RegExp(
    `export const (\\w+) = eventType\\(\\s*"${event.replace(/[.]/g, "\\.")}"`,
  ).exec(events);
  const eventConst = existing?.[1] ?? eventConstName(event);
  if (!existing) {
    if (new RegExp(`export const ${eventConst}\\b`).test(events)) {
      throw new Error(`inngest/events.ts already exports ${eventConst}; pick another event name`);
    }
    events += `
/** TODO: who sends ${event}, and what its data means. */
export const ${eventConst} = eventType("${event}", {
  schema: z.object({ userId: z.string() }),
});
`;
    writeFileSync(eventsFile, events);
    changed.push(eventsFile);
  }

  writeFileSync(
    functionFile,
    `import { inngest } from "@/inngest/client";
import { ${eventConst} } from "@/inngest/events";

/** TODO: what this workflow does, and why it runs on ${event}. */
export const ${functionName} = inngest.createFunction(
  {
    id: "${name}",
    triggers: [${eventConst}],
    // One run per event, however often it is delivered.
    idempotency: "event.id",
  },
  async ({ event, step, logger }) => {
    // One side effect per step: a step that succeeded is never run again on retry.
    const result = await step.run("${name}", async () => {
      logger.info("${name}", { event: event.name });
      return { handled: event.name };
    });
    return result;
  },
);
`,
  );
  changed.push(functionFile);

  const original = readFileSync(indexFile, "utf8");
  const at = importPosition(original, name);
  const index = (
    original.slice(0, at) +
    `import { ${functionName} } from "./functions/${name}";\n` +
    original.slice(at)
  ).replace(
    /(export const functions: InngestFunction\.Any\[\] = \[\n[\s\S]*?)(\];)/,
    `$1  ${functionName},\n$2`,
  );
  if (!index.includes(`  ${functionName},\n`))
    throw new Error("could not add the function to inngest/index.ts");
  writeFileSync(indexFile, index);
  changed.push(indexFile);

  const fixture = sampleFixture(root, event);
  writeFileSync(
    testFile,
    `import { describe, expect, it } from "vitest";
import { ${functionName} } from "@/inngest/functions/${name}";
import { runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
${fixture ? `import sample from "@onramp/standins/contracts/${fixture}";\n` : ""}
// The vendors' stand-ins, Inngest's API (each step is checkpointed to it) among them.
setupVendors();

describe("${name}", () => {
  it("handles ${event}", async () => {
    // Runs on the Inngest simulator: retries, waits and sleeps as Inngest does them.
    // TODO: assert on what the step changed (database rows, vendor requests: keep
    // \`const vendors = setupVendors()\` and look at \`vendors.stripe.requests\`).
    const run = await runFunction(${functionName}, {
      id: "evt_1",
      name: "${event}",
      data: ${fixture ? "sample.data" : `{ userId: "user_123" }`},
    });
    expect(run.error).toBeUndefined();
    expect(run.result).toEqual({ handled: "${event}" });
  });
});
`,
  );
  changed.push(testFile);
  return changed;
}

/**
 * Where the import of ./functions/<name> goes in inngest/index.ts: among the other functions'
 * imports in alphabetical order, so the list stays sorted; after the last import if there are none.
 */
function importPosition(index: string, name: string): number {
  const imports = [...index.matchAll(/^import .*;\n/gm)];
  const functionImports = imports.flatMap((line) => {
    const imported = /from "\.\/functions\/([^"]+)"/.exec(line[0])?.[1];
    return imported ? [{ line, imported }] : [];
  });
  const next = functionImports.find(({ imported }) => imported > name);
  if (next) return next.line.index;
  const last = functionImports.at(-1)?.line ?? imports.at(-1);
  return last ? last.index + last[0].length : 0;
}

/** A recorded vendor payload for a vendor event (clerk/user.created → its Clerk sample), if any. */
function sampleFixture(root: string, event: string) {
  const [source, type] = event.split("/");
  const file = `${source}-webhooks/${type}.json`;
  return existsSync(path.join(root, "packages/standins/contracts", file)) ? file : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const scaffold = parseScaffoldArgs(process.argv.slice(2));
    const changed = scaffoldFunction(process.cwd(), scaffold);
    console.log(
      `Created or changed:\n${changed.map((file) => `  ${path.relative(process.cwd(), file)}`).join("\n")}`,
    );
    console.log(
      `Next: write the real step, then \`npm test -- test/functions/${scaffold.name}.test.ts\` and \`npm run typecheck\`.`,
    );
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
