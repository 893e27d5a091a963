import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isLoopback, listeningAddresses } from "@/test/support/listening";

// `npm run dev` (tsx scripts/dev.ts) with a fake `npx` first on PATH: each child it starts (the
// app, the Inngest dev server) is a process that starts a long-lived process of its own, the way
// npx starts next, and exits on the signal without passing it on, as npx does. Only the dev
// script is signalled; every one of them must be gone afterwards.

const root = process.cwd();
const dir = mkdtempSync(path.join(tmpdir(), "onramp-dev-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// It also writes down how it was called (FAKE_NPX_CALLS): its arguments and the environment.
const fakeNpx = path.join(dir, "npx");
writeFileSync(
  fakeNpx,
  `#!/usr/bin/env node
const { spawn } = require("node:child_process");
const { appendFileSync } = require("node:fs");
const grandchild = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
appendFileSync(process.env.FAKE_NPX_PIDS, process.pid + " " + grandchild.pid + "\\n");
if (process.env.FAKE_NPX_CALLS) {
  const call = { argv: process.argv.slice(2), env: process.env };
  appendFileSync(process.env.FAKE_NPX_CALLS, JSON.stringify(call) + "\\n");
}
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

interface Call {
  argv: string[];
  env: Record<string, string | undefined>;
}

/** The dev script with the fake npx: what it printed, and each npx call it made. */
function startDev(env: NodeJS.ProcessEnv, name: string) {
  const pidsFile = path.join(dir, `pids-${name}`);
  const callsFile = path.join(dir, `calls-${name}`);
  writeFileSync(pidsFile, "");
  writeFileSync(callsFile, "");
  const dev = spawn(process.execPath, devCommand.slice(1), {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...env,
      PATH: `${dir}:${process.env.PATH}`,
      FAKE_NPX_PIDS: pidsFile,
      FAKE_NPX_CALLS: callsFile,
    },
  });
  let output = "";
  dev.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => dev.on("exit", resolve));
  const calls = () =>
    readFileSync(callsFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Call);
  return {
    dev,
    exited,
    output: () => output,
    calls,
    /** The call that started `next`, and the one that started inngest-cli, if made. */
    next: () => calls().find((call) => call.argv[0] === "next"),
    inngestCli: () =>
      calls().find((call) => call.argv.some((arg) => arg.startsWith("inngest-cli@"))),
    async stop() {
      if (dev.exitCode === null) process.kill(dev.pid!, "SIGTERM");
      await exited;
    },
  };
}

/** The environment with no vendor configured at all: demo mode, every vendor simulated. */
function withoutVendorKeys(env: NodeJS.ProcessEnv) {
  const rest = { ...env };
  for (const name of Object.keys(rest))
    if (/^(NEXT_PUBLIC_)?(CLERK|STRIPE|RESEND|INNGEST)_/.test(name)) delete rest[name];
  return rest;
}

describe("npm run dev on a shared network (issue 22)", () => {
  it("starts next and the Inngest dev server on loopback, the dev server pinned and without overriding ignore-scripts", async () => {
    const run = startDev(process.env, "loopback");
    try {
      await until(() => run.next() !== undefined, "next to start");
      const next = run.next()!;
      expect(next.argv.slice(0, 2)).toEqual(["next", "dev"]);
      // localhost: loopback, and the name Next builds request URLs from (see scripts/dev.ts).
      expect(next.argv.join(" ")).toMatch(/--hostname localhost /);
      // The app registers with Inngest at its own origin and shows /dev/emails.
      expect(next.env).toMatchObject({ APP_URL: "http://localhost:3000", ONRAMP_DEV_EMAILS: "1" });

      // Unless an Inngest dev server already answers on :8288, inngest-cli follows.
      await until(() => run.inngestCli() !== undefined, "inngest-cli to start");
      const argv = run.inngestCli()!.argv;
      const cli = argv.find((arg) => arg.startsWith("inngest-cli@"))!;
      expect(cli).toMatch(/^inngest-cli@\d+\.\d+\.\d+$/);
      expect(argv).toContain(`--allow-scripts=${cli}`);
      expect(argv.join(" ")).not.toMatch(/ignore-scripts/);
      expect(argv.join(" ")).toMatch(/ dev --host 127\.0\.0\.1 /);
      // The version docs/development.md gives is the one started.
      expect(readFileSync(path.join(root, "docs/development.md"), "utf8")).toContain(cli);
    } finally {
      await run.stop();
    }
  }, 60_000);

  it("opens the app to other machines only when HOST says so", async () => {
    const run = startDev({ ...process.env, HOST: "0.0.0.0", PORT: "3456" }, "host");
    try {
      await until(() => run.next() !== undefined, "next to start");
      expect(run.next()!.argv).toEqual(["next", "dev", "--hostname", "0.0.0.0", "--port", "3456"]);
      expect(run.next()!.env.APP_URL).toBe("http://localhost:3456");
    } finally {
      await run.stop();
    }
  }, 60_000);

  it("keeps demo mode's stand-ins and Inngest driver on loopback, and hands the app the driver's keys", async () => {
    const run = startDev(withoutVendorKeys(process.env), "demo");
    try {
      await until(() => run.output().includes("Demo mode"), "the demo banner", 40_000);
      const listening = listeningAddresses(run.dev.pid!);
      // Stripe, Clerk and Resend, the browser side, the Inngest driver.
      expect(listening).toHaveLength(5);
      expect(listening.filter((address) => !isLoopback(address))).toEqual([]);

      await until(() => run.next() !== undefined, "next to start");
      const app = run.next()!;
      expect(app.argv.join(" ")).toMatch(/--hostname localhost /);
      const { INNGEST_BASE_URL, INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY } = app.env;
      expect(INNGEST_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(INNGEST_EVENT_KEY).toMatch(/^[0-9a-f]{64}$/);
      expect(INNGEST_SIGNING_KEY).toMatch(/^signkey-dev-[0-9a-f]{64}$/);

      // The runs answer only with the token in the printed link.
      const link = /(http:\/\/127\.0\.0\.1:\d+\/runs\?token=[0-9a-f]{64})/.exec(run.output())?.[1];
      expect(link, run.output()).toBeDefined();
      expect((await fetch(`${INNGEST_BASE_URL}/runs`)).status).toBe(401);
      expect((await fetch(link!)).status).toBe(200);
    } finally {
      await run.stop();
    }
  }, 60_000);

  it("refuses to start a demo beside a live key, naming it and the fix", async () => {
    const run = startDev(
      { ...withoutVendorKeys(process.env), STRIPE_SECRET_KEY: "sk_live_0123456789abcdef" },
      "live",
    );
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/Demo mode refuses live keys: STRIPE_SECRET_KEY \(sk_live_…\)/);
    expect(run.output()).toMatch(/Use test-mode keys locally/);
    expect(run.output()).not.toContain("0123456789abcdef");
    expect(run.calls()).toEqual([]);
  }, 60_000);
});
