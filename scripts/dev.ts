// `npm run dev`: the app on the embedded database, with its vendors.
//
// With Clerk and Stripe keys (in the shell or the .env files), the real vendors, and the Inngest
// dev server beside the app: the one already answering on :8288, else `inngest-cli dev` (which
// downloads it). The app keeps running when the dev server cannot be had; it says so, why, and
// how to get it.
//
// Without them, demo mode (lib/demo.ts decides which vendors): Clerk, Stripe and Resend are
// simulated by the stand-ins in packages/standins/, and the workflows run on the Inngest dev server when
// one answers on :8288, else on the local Inngest driver, started here. Nothing leaves the
// machine, and everything simulated starts afresh each run.
//
// Everything it starts listens on loopback only: in dev mode /api/inngest runs unsigned
// requests, and the Inngest dev server and the driver's runs hold every sign-up. HOST (from the
// shell, e.g. HOST=0.0.0.0) opens the app, and demo mode's browser-facing server with it, to
// other machines; the rest stays on loopback.
//
// PORT and HOST come from the shell only. Ctrl-C (or a SIGTERM to this script alone) stops
// everything it started.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
// A CommonJS bundle: Node's ESM loader sees only its default export.
import nextEnv from "@next/env";
import { demoVendorNames, liveKeysInDemo, vendorsToSimulate, type DemoVendor } from "@/lib/demo";

/** The Inngest dev server `npm run dev` fetches: a version it was tried with, never "latest". */
const inngestCli = "inngest-cli@1.45.1";

const port = process.env.PORT ?? "3000";
/** Where HOST opens the app (and demo mode's browser-facing server) to other machines. */
const openTo = process.env.HOST;
// Unset: `localhost`, loopback, and the name Next builds request URLs from; with 127.0.0.1
// there, Clerk's middleware sees another origin than the browser's and Next proxies to it.
const appHost = openTo ?? "localhost";
const appUrl = `http://localhost:${port}`;
const reach =
  openTo === undefined
    ? "from this machine only; HOST=0.0.0.0 npm run dev opens it to your network"
    : `listening on ${openTo}`;
const inngestUrl = "http://localhost:8288";
const serveUrl = `${appUrl}/api/inngest`;
const root = path.resolve(import.meta.dirname, "..");

const children: ChildProcess[] = [];
/** What runs in this process (demo mode's stand-ins and Inngest driver), closed on the way out. */
const closers: (() => Promise<void>)[] = [];

/**
 * Each child leads a process group of its own, so stopping it reaches everything it started
 * (next dev → its workers, npx → inngest-cli), whoever was sent the signal: Ctrl-C at the
 * terminal or a `kill` of this script alone.
 */
function start(command: string, args: string[], options: SpawnOptions) {
  const child = spawn(command, args, { ...options, detached: true });
  children.push(child);
  return child;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals | 0) {
  try {
    process.kill(-child.pid!, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

let stopping = false;
/** Passes the signal on to every child's group, waits until they are gone, then exits. */
async function stop(signal: NodeJS.Signals, exitCode: number) {
  if (stopping) return;
  stopping = true;
  const started = children.filter((child) => child.pid !== undefined);
  const gone = async (withinMs: number) => {
    for (const until = Date.now() + withinMs; Date.now() < until;) {
      if (!started.some((child) => signalGroup(child, 0))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  started.forEach((child) => signalGroup(child, signal));
  await gone(5000);
  started.forEach((child) => signalGroup(child, "SIGKILL"));
  await gone(1000); // a group of unreaped zombies never empties: exit anyway
  await Promise.all(closers.map((close) => close().catch(() => {})));
  process.exit(exitCode);
}
process.on("SIGINT", () => void stop("SIGINT", 130));
process.on("SIGTERM", () => void stop("SIGTERM", 143));

// What the app will see: the shell, then the .env files as Next reads them. The app is handed the
// shell alone (plus what demo mode adds), so Next still reads the .env files itself.
const shell = { ...process.env };
nextEnv.loadEnvConfig(root, true, { info: () => {}, error: console.error });
const seen = { ...process.env };
for (const name of Object.keys(process.env)) if (!(name in shell)) delete process.env[name];
Object.assign(process.env, shell);

// A server already on :8288: the Inngest dev server (e.g. the Docker image), or another
// checkout's demo driver, which runs other functions and is no dev server for this app.
const onInngestPort = await fetch(inngestUrl, { signal: AbortSignal.timeout(1000) }).then(
  async (response) => {
    const body = await response.text();
    return body.includes('"name":"Inngest driver"') ? "driver" : "dev server";
  },
  () => null,
);

const simulated = vendorsToSimulate(seen, {
  inngestDevServerAnswers: onInngestPort === "dev server",
});
const liveKeys = liveKeysInDemo(seen, simulated);
if (liveKeys) {
  console.error(`\n${liveKeys}\n`);
  process.exit(1);
}

// What the app gets in every mode: the origin it registers with Inngest and links to (never a
// request's Host), and the dev outbox page, which only this launcher turns on.
const appBase = { APP_URL: seen.APP_URL ?? appUrl, ONRAMP_DEV_EMAILS: "1" };

if (simulated.length > 0) {
  await startDemo(simulated);
} else {
  startApp({ ...shell, ...appBase, INNGEST_DEV: shell.INNGEST_DEV ?? "1" });
  if (onInngestPort === "dev server") {
    console.log(
      `\n▶ app: ${appUrl} (${reach})   ▶ Inngest dev server (already running): ${inngestUrl}\n`,
    );
  } else {
    startInngestDevServer();
  }
}

function startApp(env: NodeJS.ProcessEnv) {
  const app = start("npx", ["next", "dev", "--hostname", appHost, "--port", port], {
    // Not stdin: a process outside the terminal's foreground group must not read from it.
    stdio: ["ignore", "inherit", "inherit"],
    env,
  });
  app.on("exit", (code) => void stop("SIGTERM", code ?? 0));
}

async function startDemo(vendors: DemoVendor[]) {
  const [{ startDemoStandIns }, { serveInngestDriver }] = await Promise.all([
    import("@onramp/standins/demo"),
    import("@onramp/standins/inngest"),
  ]);
  const appOrigin = appBase.APP_URL;
  const log = (line: string) => console.log(`[demo] ${line}`);
  const standIns = await startDemoStandIns({
    appUrl: appOrigin,
    browserHost: openTo,
    simulate: {
      clerk: vendors.includes("clerk"),
      stripe: vendors.includes("stripe"),
      resend: vendors.includes("resend"),
    },
    log,
  });
  closers.push(() => standIns.close());

  const env: NodeJS.ProcessEnv = {
    ...shell,
    ...standIns.env,
    ...appBase,
    INNGEST_DEV: "1",
    ONRAMP_DEMO: vendors.join(","),
    ONRAMP_DEMO_URL: standIns.browserUrl,
    // The trial offer a minute after sign-up, so it can be seen at /dev/emails.
    TRIAL_OFFER_DELAY: seen.TRIAL_OFFER_DELAY ?? "1m",
  };
  if (!seen.DATABASE_URL) {
    // The simulated vendors forget everything when this stops: so does the demo's database,
    // kept apart from the one real keys use (.data/pglite).
    const dataDir = path.join(root, ".data/demo");
    rmSync(dataDir, { recursive: true, force: true });
    env.DATABASE_URL = `pglite:${dataDir}`;
  }

  let runsAt = `${inngestUrl} (the Inngest dev server)`;
  let sendEvents = "npm run events:send -- <file>";
  if (vendors.includes("inngest")) {
    // The app reaches the driver with the keys it hands out (appEnv); a person, with the token
    // in the console link. A pause before each step lets the progress page show them one by one.
    const driverOptions = {
      serveUrl,
      stepDelayMs: 400,
      log: (line: string) => log(`inngest: ${line}`),
    };
    const driver = await serveInngestDriver({
      ...driverOptions,
      port: onInngestPort === null ? 8288 : 0,
    }).catch(() => serveInngestDriver({ ...driverOptions, port: 0 }));
    closers.push(() => driver.close());
    Object.assign(env, driver.appEnv);
    runsAt = `${driver.consoleUrl} (the local Inngest driver)`;
    sendEvents = `INNGEST_BASE_URL=${driver.url} INNGEST_EVENT_KEY=${driver.appEnv.INNGEST_EVENT_KEY} npm run events:send -- <file>`;
  }

  startApp(env);
  const names = vendors.map((vendor) => demoVendorNames[vendor]);
  console.log(
    [
      "",
      `▶ Demo mode: ${names.join(", ")} simulated on this machine. Open ${appOrigin} (${reach})`,
      "  Sign up with any email (the code is shown on the page) and a test card:",
      "  4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined, 4000 0025 0000 3155 asks for 3-D Secure.",
      `  Emails: ${appOrigin}/dev/emails   Workflow runs: ${runsAt}`,
      `  Start a workflow by hand: ${sendEvents}`,
      "  Real keys in .env.local switch each vendor to the real one (README.md, From demo to real keys).",
      "",
    ].join("\n"),
  );
}

function startInngestDevServer() {
  // The npm package's postinstall downloads the dev server binary. --allow-scripts names it as
  // the one install script that may run (where npm keeps an allowlist) and, unlike
  // --ignore-scripts=false, leaves an npmrc's ignore-scripts in force; --foreground-scripts lets
  // us see why a download failed.
  const inngestCommand = [
    "--yes",
    `--allow-scripts=${inngestCli}`,
    "--foreground-scripts",
    inngestCli,
    "dev",
    "--host",
    "127.0.0.1",
    "--no-discovery",
    "-u",
    serveUrl,
  ];
  // Linux; Docker Desktop has no host network: docs/development.md has its recipe.
  const dockerCommand = `docker run --rm --network host inngest/inngest inngest dev --host 127.0.0.1 --no-discovery -u ${serveUrl}`;
  const inngest = start("npx", inngestCommand, { stdio: ["ignore", "pipe", "pipe"], env: shell });
  let inngestOutput = "";
  const remember = (chunk: Buffer) =>
    (inngestOutput = (inngestOutput + chunk.toString()).slice(-4000));
  inngest.stdout?.on("data", remember);
  inngest.stderr?.on("data", remember);
  inngest.on("error", (error) => remember(Buffer.from(error.message)));
  inngest.on("exit", (code) => {
    if (code === 0 || code === null || stopping) return;
    console.warn(
      [
        "",
        "⚠  The Inngest dev server is not running, so no workflow will run yet.",
        `   Why: ${reason(inngestOutput) ?? `inngest-cli exited with code ${code} without saying why`}`,
        "   (inngest-cli's npm install step downloads the dev server binary from GitHub, so the",
        "   first run needs internet access, and npm must not be set to ignore-scripts.)",
        `   The app keeps running at ${appUrl}: pages, /api/health and the webhook routes answer;`,
        "   runs, `npm run events:send` and the emails at /dev/emails need the dev server.",
        "   To get it, with internet access:",
        `     npx ${inngestCommand.join(" ")}`,
        "   or, with Docker on Linux, start this first and then `npm run dev` again",
        "   (Docker Desktop: docs/development.md, Running locally):",
        `     ${dockerCommand}`,
        `   then open ${inngestUrl} to watch runs.`,
        "",
      ].join("\n"),
    );
  });

  setTimeout(() => {
    if (inngest.exitCode === null)
      console.log(`\n▶ app: ${appUrl} (${reach})   ▶ Inngest dev server: ${inngestUrl}\n`);
  }, 8000).unref();
}

/** The line of npx's output that says why: the first error, else the last line. */
function reason(output: string) {
  const lines = output
    .replace(/\u001b\[[0-9;]*[A-Za-z]|\r/g, "\n")
    .split("\n")
    .map((line) => line.trim())
    // npm's config warnings and stack frames never say why.
    .filter((line) => line && !line.startsWith("npm warn") && !line.startsWith("at "));
  return lines.find((line) => /error/i.test(line)) ?? lines.at(-1);
}
