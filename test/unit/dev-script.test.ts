import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// `npm run dev` (tsx scripts/dev.ts) with a fake `npx` first on PATH: each child it starts (the
// app, the Inngest dev server) is a process that starts a long-lived process of its own, the way
// npx starts next, and exits on the signal without passing it on, as npx does. Only the dev
// script is signalled; every one of them must be gone afterwards.

const root = process.cwd();
const dir = mkdtempSync(path.join(tmpdir(), "onramp-dev-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fakeNpx = path.join(dir, "npx");
writeFileSync(
  fakeNpx,
  `#!/usr/bin/env node
const { spawn } = require("node:child_process");
const { appendFileSync } = require("node:fs");
const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
appendFileSync(process.env.FAKE_NPX_PIDS, process.pid + " " + grandchild.pid + "\\n");
setInterval(() => {}, 1000);
`,
);
chmodSync(fakeNpx, 0o755);

/** Alive and not a zombie (a dead orphan may wait a while for its reaper). */
function alive(pid: number) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  return !existsSync(stat) || !/^\d+ \(.*\) Z/.test(readFileSync(stat, "utf8"));
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000) {
  for (const end = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What `npm run dev` runs. Node itself, not the tsx CLI: tsx's wrapper process kills the script
 * with SIGKILL when it does not acknowledge a relayed signal within 30 ms (a loaded machine), so
 * its children would be left running.
 */
const devCommand = ["node", "--import", "tsx", "scripts/dev.ts"];

describe("npm run dev", () => {
  it("is the dev script run by node itself", () => {
    const { scripts } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    expect(scripts.dev).toBe(devCommand.join(" "));
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "stops every child and what they started on %s sent to the dev script alone",
    async (signal) => {
      const pidsFile = path.join(dir, `pids-${signal}`);
      writeFileSync(pidsFile, "");
      const dev = spawn(process.execPath, devCommand.slice(1), {
        cwd: root,
        // Its own group, so nothing but the signal this test sends reaches the script.
        detached: true,
        stdio: "ignore",
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_NPX_PIDS: pidsFile },
      });
      const exited = new Promise<number | null>((resolve) => dev.on("exit", resolve));
      const pids = () => readFileSync(pidsFile, "utf8").split(/\s+/).filter(Boolean).map(Number);

      // The app at once; the Inngest dev server after a second (unless one answers on :8288).
      await until(() => pids().length >= 2, "the app's child");
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const started = pids();
      expect(started.every(alive)).toBe(true);

      process.kill(dev.pid!, signal);
      expect(await exited).not.toBeNull();
      await until(() => !started.some(alive), "every child to stop", 10_000).catch((e) => {
        console.error(
          started,
          started.map((p) => {
            try {
              return readFileSync(`/proc/${p}/stat`, "utf8");
            } catch {
              return "gone";
            }
          }),
        );
        throw e;
      });
    },
    60_000,
  );
});
