// `npm run dev`: the app and the Inngest dev server side by side, on the embedded database.
// The app keeps running when the dev server cannot be had; it says so and how to get it.
import { spawn, type ChildProcess } from "node:child_process";

const port = process.env.PORT ?? "3000";
const appUrl = `http://localhost:${port}`;
const inngestUrl = "http://localhost:8288";
const serveUrl = `${appUrl}/api/inngest`;
const inngestCommand = ["--yes", "inngest-cli@latest", "dev", "--no-discovery", "-u", serveUrl];

const children: ChildProcess[] = [];
const stop = () => children.forEach((child) => child.kill("SIGTERM"));
process.on("SIGINT", stop).on("SIGTERM", stop);

const app = spawn("npx", ["next", "dev", "--port", port], {
  stdio: "inherit",
  env: { ...process.env, INNGEST_DEV: process.env.INNGEST_DEV ?? "1" },
});
children.push(app);
app.on("exit", (code) => {
  stop();
  process.exit(code ?? 0);
});

const inngest = spawn("npx", inngestCommand, { stdio: ["ignore", "pipe", "pipe"] });
children.push(inngest);
let inngestOutput = "";
const remember = (chunk: Buffer) =>
  (inngestOutput = (inngestOutput + chunk.toString()).slice(-2000));
inngest.stdout?.on("data", remember);
inngest.stderr?.on("data", remember);
inngest.on("error", (error) => remember(Buffer.from(error.message)));
inngest.on("exit", (code) => {
  if (code === 0 || code === null) return;
  const lastLine =
    inngestOutput
      .replace(/\u001b\[[0-9;]*[A-Za-z]|\r/g, "\n")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("npm warn"))
      .at(-1) ?? `inngest-cli could not be installed or started (exit code ${code})`;
  console.warn(
    [
      "",
      "⚠  The Inngest dev server is not running, so no workflow will run yet.",
      `   Why: ${lastLine}`,
      `   The app keeps running at ${appUrl} (database, pages and /api/health work).`,
      "   To get the dev server (it downloads a binary, so it needs internet access):",
      `     npx inngest-cli@latest dev -u ${serveUrl}`,
      `   then open ${inngestUrl} to watch runs.`,
      "",
    ].join("\n"),
  );
});

setTimeout(() => {
  if (inngest.exitCode === null)
    console.log(`\n▶ app: ${appUrl}   ▶ Inngest dev server: ${inngestUrl}\n`);
}, 8000).unref();
