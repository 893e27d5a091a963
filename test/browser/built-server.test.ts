import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "./support/app-server";

// A built server refuses to start unless NODE_ENV=production (issue 22): the production checks
// (signed Inngest requests, no demo mode, no dev outbox) hinge on it, and `next start` takes
// whatever NODE_ENV the shell has. This starts the suite's own build (global setup) for real.

const root = path.resolve(import.meta.dirname, "../..");
const nextBin = path.join(root, "node_modules/next/dist/bin/next");

/** `next start` of the build with `env` only; resolves with its exit code and output. */
async function nextStart(env: NodeJS.ProcessEnv) {
  const port = await freePort();
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(port)], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, NEXT_TELEMETRY_DISABLED: "1", ...env },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // The refusal comes from instrumentation, before the first request is served.
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  return { code, output };
}

describe("a built server", () => {
  it.each(["development", "test"])(
    "refuses to start with NODE_ENV=%s, saying how to run a build locally",
    async (nodeEnv) => {
      // With the dev outbox on, which such a server would otherwise show to anyone.
      const { code, output } = await nextStart({
        NODE_ENV: nodeEnv as NodeJS.ProcessEnv["NODE_ENV"],
        ONRAMP_DEV_EMAILS: "1",
      });
      expect(code, output).toBe(1);
      expect(output).toMatch(
        new RegExp(`NODE_ENV: this server was built by \`next build\` .*not "${nodeEnv}"`),
      );
      expect(output).toMatch(/docs\/deploying\.md, Running a built server locally/);
    },
    90_000,
  );
});
