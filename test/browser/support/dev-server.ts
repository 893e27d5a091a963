import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./app-server";

const root = path.resolve(import.meta.dirname, "../../..");

export interface DevServer {
  url: string;
  /** The dev script's process: what it started is below it. */
  pid: number;
  /** Everything `npm run dev` printed so far. */
  output(): string;
  /**
   * Sends SIGTERM to the dev script alone, as a process manager or `kill <pid>` does, and
   * resolves once it has exited: whether the app's port was then closed (nothing outlived it).
   */
  stop(): Promise<{ appStopped: boolean }>;
}

/**
 * `npm run dev`'s own entry point (scripts/dev.ts, as package.json runs it) on a free
 * port, with nothing configured: no Clerk, Stripe or Resend key, only a database directory of its
 * own (so a developer's `.data/` is left alone). Resolves once /api/health answers.
 */
export async function startDevServer(): Promise<DevServer> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "onramp-demo-"));
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"].flatMap((name) =>
    process.env[name] ? [[name, process.env[name]!]] : [],
  );
  // As package.json's "dev" runs it.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
    cwd: root,
    // Its own process group, so whatever is left after the test can be cleaned up as one.
    detached: true,
    env: {
      ...Object.fromEntries(keep),
      PORT: String(port),
      DATABASE_URL: `pglite:${dataDir}`,
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));

  const answers = () =>
    fetch(`${url}/api/health`, { signal: AbortSignal.timeout(30_000) })
      .then((response) => response.ok)
      .catch(() => false);
  const deadline = Date.now() + 180_000;
  while (!(await answers())) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm run dev did not answer in 180 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  return {
    url,
    pid: child.pid!,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
      const appStopped = !(await answers());
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Nothing left in the group.
      }
      rmSync(dataDir, { recursive: true, force: true });
      mkdirSync(path.join(root, "test-results"), { recursive: true });
      writeFileSync(path.join(root, "test-results/demo-dev-server.log"), output);
      return { appStopped };
    },
  };
}
