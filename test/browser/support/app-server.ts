import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

/**
 * The app as it ships: `next build` once, `next start` on a free port. The browser tests and the
 * progress-latency benchmark share this.
 */

const root = path.resolve(import.meta.dirname, "../../..");
const nextBin = path.join(root, "node_modules/next/dist/bin/next");
const buildMarker = path.join(root, ".next/onramp-browser-build.json");

/** Only NEXT_PUBLIC_* are fixed at build time; these are the test instances' keys. */
export const buildKeys = {
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_Y2xlcmsub25yYW1wLnRlc3Qk",
  NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: "pk_test_onrampbrowser",
};

/**
 * A clean production environment: nothing from the test runner's own env (NODE_ENV=test, its
 * DATABASE_URL, …) leaks into the app, only what is given.
 */
function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG"].flatMap((name) =>
    process.env[name] ? [[name, process.env[name]!]] : [],
  );
  return {
    ...Object.fromEntries(keep),
    NEXT_TELEMETRY_DISABLED: "1",
    ...vars,
    NODE_ENV: "production",
  };
}

function run(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, ...args], { cwd: root, env: childEnv(env) });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code: number | null) =>
      code === 0 ? resolve(output) : reject(new Error(`next ${args[0]} failed:\n${output}`)),
    );
  });
}

/**
 * `next build` into the default .next with the test publishable keys inlined. Skipped when
 * BROWSER_TEST_SKIP_BUILD=1 and .next still holds the build this function made (for iterating
 * on tests only; any app change needs a new build).
 */
export async function buildApp(): Promise<void> {
  const buildId = () => {
    const file = path.join(root, ".next/BUILD_ID");
    return existsSync(file) ? readFileSync(file, "utf8").trim() : null;
  };
  if (process.env.BROWSER_TEST_SKIP_BUILD === "1" && existsSync(buildMarker)) {
    const marker = JSON.parse(readFileSync(buildMarker, "utf8")) as { buildId: string };
    if (marker.buildId === buildId()) return;
  }
  await run(["build"], {
    ...buildKeys,
    NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: "1",
    NEXT_PUBLIC_CLERK_KEYLESS_DISABLED: "1",
  });
  writeFileSync(buildMarker, JSON.stringify({ buildId: buildId(), ...buildKeys }));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface AppServer {
  url: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `next start` on the default bind (0.0.0.0/::, as in production), with only the given server
 * environment. Resolves once GET /api/health answers 200.
 */
export async function startApp(port: number, env: Record<string, string>): Promise<AppServer> {
  const url = `http://localhost:${port}`;
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [nextBin, "start", "-p", String(port)], {
    cwd: root,
    env: childEnv(env),
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`next start did not become healthy within 60 s:\n${output}`);
    }
    const healthy = await fetch(`${url}/api/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      mkdirSync(path.join(root, "test-results"), { recursive: true });
      writeFileSync(path.join(root, "test-results/app-server.log"), output);
    },
  };
}
