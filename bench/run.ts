// `npm run bench`: every benchmark, one after another, with their figures collected in
// bench/RESULTS.md. Each prints ratios against a baseline measured in its own run. Benchmarks that
// drive `next start` need a build: this runs `npm run build` first when there is none.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const benches: { title: string; args: string[] }[] = [
  {
    title: "Ingress on next start (10,000 signed webhooks)",
    args: ["bench/ingress.ts", "--requests", "10000"],
  },
  { title: "Durable vs inline webhook handling", args: ["bench/inline-vs-durable.ts"] },
  { title: "Provisioning critical path and vendor requests", args: ["bench/provisioning.ts"] },
  { title: "Progress page latency", args: ["bench/progress-latency.ts"] },
];

if (!existsSync(path.join(root, ".next/BUILD_ID"))) {
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const sections: string[] = [];
let failed = 0;
for (const bench of benches) {
  console.log(`\n▶ ${bench.title}`);
  const run = spawnSync(path.join(root, "node_modules/.bin/tsx"), bench.args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(run.stdout);
  if (run.status !== 0) failed++;
  sections.push(
    `# ${bench.title}\n\n\`npx tsx ${bench.args.join(" ")}\`${run.status === 0 ? "" : ` (exit ${run.status})`}\n\n${run.stdout.trim()}\n`,
  );
}

writeFileSync(
  path.join(root, "bench/RESULTS.md"),
  `Measured by \`npm run bench\` on ${new Date().toISOString()}, ${cpus().length} cores, Node ${process.version}.\n` +
    `Figures are ratios within one run; absolute times depend on the machine.\n\n${sections.join("\n")}`,
);
console.log(`\nWrote bench/RESULTS.md${failed ? ` (${failed} benchmark(s) failed)` : ""}`);
process.exit(failed ? 1 : 0);
