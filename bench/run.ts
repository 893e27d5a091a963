// `npm run bench`: every benchmark once, their figures and goals collected in bench/RESULTS.md.
// One `next build` first (the browser suite's, with its test keys), which the ingress and progress
// benchmarks both run against; BROWSER_TEST_SKIP_BUILD=1 reuses the last one when nothing changed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type } from "node:os";
import path from "node:path";
import { buildApp } from "../test/browser/support/app-server";
import { markdownTable, type GoalResult } from "./measure";

const root = path.resolve(import.meta.dirname, "..");
// The options each benchmark runs with here, written out so RESULTS.md says what was run.
const benches = [
  {
    title: "Webhook ingress on next start",
    args: ["bench/ingress.ts", "--runs", "5", "--requests", "2000", "--concurrency", "32"],
  },
  {
    title: "Webhook handled durably vs inline",
    args: ["bench/inline-vs-durable.ts", "--runs", "5", "--requests", "200", "--signups", "10"],
  },
  {
    title: "Provisioning: critical path and vendor requests",
    args: ["bench/provisioning.ts", "--runs", "7", "--latency", "100"],
  },
  {
    title: "Status long poll: database statements per request",
    args: ["bench/long-poll.ts", "--users", "4"],
  },
  {
    title: "Progress page latency",
    args: ["bench/progress-latency.ts", "--samples", "10", "--concurrency", "6"],
  },
];

const startedAt = new Date();
const load = loadavg()[0]!;
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

const buildId = () => {
  const file = path.join(root, ".next/BUILD_ID");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : null;
};
console.log("▶ next build");
let began = performance.now();
const previousBuild = buildId();
await buildApp();
const build =
  buildId() === previousBuild
    ? "The last `next build` reused (BROWSER_TEST_SKIP_BUILD=1, app unchanged)"
    : `\`next build\` ${minutes(performance.now() - began)}`;

const scratch = mkdtempSync(path.join(tmpdir(), "onramp-bench-"));
const goalsFile = path.join(scratch, "goals.jsonl");
writeFileSync(goalsFile, "");
const sections: string[] = [];
let failed = 0;
began = performance.now();
for (const { title, args } of benches) {
  const command = `npx tsx ${args.join(" ")}`;
  console.log(`\n▶ ${command}`);
  const benchStart = performance.now();
  const run = spawnSync(path.join(root, "node_modules/.bin/tsx"), args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, BENCH_GOALS_FILE: goalsFile, BROWSER_TEST_SKIP_BUILD: "1" },
  });
  process.stdout.write(run.stdout);
  if (run.status !== 0) failed++;
  sections.push(
    `## ${title}\n\n\`${command}\`, ${minutes(performance.now() - benchStart)}` +
      `${run.status === 0 ? "" : ` — **failed (exit ${run.status})**`}\n\n${run.stdout.trim()}\n`,
  );
}
const benchTime = performance.now() - began;

const goals = readFileSync(goalsFile, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as GoalResult);
rmSync(scratch, { recursive: true });
const met = goals.filter((goal) => goal.met).length;

writeFileSync(
  path.join(root, "bench/RESULTS.md"),
  `# Benchmark results

Written by \`npm run bench\` on ${startedAt.toISOString()}: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB, ${type()} ${release()}, Node ${process.version}; 1-minute load average ${load.toFixed(2)} when it started (other work shares this machine). ${build}, benchmarks ${minutes(benchTime)}.

Each benchmark repeats its measurement (the runs and samples are in its command and its section) and prints the median with the range (min–max). Ratios are taken within one run, between scenarios measured in the same process, interleaved; absolute times depend on the machine. A goal is met when its median run meets it (for the progress page, when the p95 of the samples does).

## Goals: ${met} of ${goals.length} met

${markdownTable(
  ["benchmark", "goal", "measured", "over", "result"],
  goals.map((g) => [g.bench, g.goal, g.measured, g.over, g.met ? "met" : "**not met**"]),
)}

${sections.join("\n")}`,
);
console.log(
  `\nWrote bench/RESULTS.md: ${met} of ${goals.length} goals met` +
    `${failed ? `, ${failed} benchmark(s) failed` : ""}`,
);
process.exit(failed ? 1 : 0);
