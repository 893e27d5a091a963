// `npm run dev`: the app and the Inngest dev server side by side, on the embedded database.
// The app keeps running when the dev server cannot be had; it says so, why, and how to get it.
// PORT comes from the shell only; the app itself reads .env.local (Next does).
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

const port = process.env.PORT ?? "3000";
const appUrl = `http://localhost:${port}`;
const inngestUrl = "http://localhost:8288";
const serveUrl = `${appUrl}/api/inngest`;
// The npm package's postinstall downloads the dev server binary: --ignore-scripts=false lets it
// run whatever the npmrc says, and --foreground-scripts lets us see why a download failed.
const inngestCommand = [
  "--yes",
  "--ignore-scripts=false",
  "--foreground-scripts",
  "inngest-cli@latest",
  "dev",
  "--no-discovery",
  "-u",
  serveUrl,
];
const dockerCommand = `docker run -p 8288:8288 inngest/inngest inngest dev -u http://host.docker.internal:${port}/api/inngest`;

const children: ChildProcess[] = [];

/**
 * Each child leads a process group of its own, so stopping it reaches everything it started
 * (npx → next dev → its workers), whoever was sent the signal: Ctrl-C at the terminal or a
 * `kill` of this script alone.
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
  process.exit(exitCode);
}
process.on("SIGINT", () => void stop("SIGINT", 130));
process.on("SIGTERM", () => void stop("SIGTERM", 143));

const app = start("npx", ["next", "dev", "--port", port], {
  // Not stdin: a process outside the terminal's foreground group must not read from it.
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, INNGEST_DEV: process.env.INNGEST_DEV ?? "1" },
});
app.on("exit", (code) => void stop("SIGTERM", code ?? 0));

// A dev server that is already up (e.g. the Docker image) is used as it is.
const alreadyRunning = await fetch(inngestUrl, { signal: AbortSignal.timeout(1000) }).then(
  () => true,
  () => false,
);
if (alreadyRunning) {
  console.log(`\n▶ app: ${appUrl}   ▶ Inngest dev server (already running): ${inngestUrl}\n`);
} else {
  startInngestDevServer();
}

function startInngestDevServer() {
  const inngest = start("npx", inngestCommand, { stdio: ["ignore", "pipe", "pipe"] });
  let inngestOutput = "";
  const remember = (chunk: Buffer) =>
    (inngestOutput = (inngestOutput + chunk.toString()).slice(-4000));
  inngest.stdout?.on("data", remember);
  inngest.stderr?.on("data", remember);
  inngest.on("error", (error) => remember(Buffer.from(error.message)));
  inngest.on("exit", (code) => {
    if (stopping || code === 0 || code === null) return;
    console.warn(
      [
        "",
        "⚠  The Inngest dev server is not running, so no workflow will run yet.",
        `   Why: ${reason(inngestOutput) ?? `inngest-cli exited with code ${code} without saying why`}`,
        "   (inngest-cli's npm install step downloads the dev server binary from GitHub, so the",
        "   first run needs internet access.)",
        `   The app keeps running at ${appUrl}: pages, /api/health and the webhook routes answer;`,
        "   runs, `npm run events:send` and the emails at /dev/emails need the dev server.",
        "   To get it, with internet access:",
        `     npx ${inngestCommand.join(" ")}`,
        "   or, with Docker, start this first and then `npm run dev` again:",
        `     ${dockerCommand}`,
        `   then open ${inngestUrl} to watch runs.`,
        "",
      ].join("\n"),
    );
  });

  setTimeout(() => {
    if (inngest.exitCode === null)
      console.log(`\n▶ app: ${appUrl}   ▶ Inngest dev server: ${inngestUrl}\n`);
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
