import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseScaffoldArgs } from "@/scripts/new-function";

const root = process.cwd();
const skipped = new Set(["node_modules", ".next", ".data", ".git", "test-results"]);

/** A copy of the project to scaffold into, sharing node_modules. */
function copyProject() {
  const copy = mkdtempSync(path.join(tmpdir(), "onramp-scaffold-"));
  cpSync(root, copy, {
    recursive: true,
    filter: (source) => !skipped.has(path.relative(root, source).split(path.sep)[0]!),
  });
  symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
  return copy;
}

const keptBuildInfo = path.join(root, "node_modules/.cache/onramp-tests/scaffold.tsbuildinfo");
const bin = (name: string) => path.join(root, "node_modules/.bin", name);
const run = (cwd: string, command: string, args: string[]) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: "pipe", env: process.env });

describe("npm run new:function", () => {
  const copy = copyProject();
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("scaffolds an event, a function, its registration and a test that typecheck and pass", () => {
    const output = run(copy, bin("tsx"), [
      "scripts/new-function.ts",
      "notify-sales",
      "--event",
      "app/trial.converted",
    ]);
    expect(output).toContain("inngest/functions/notify-sales.ts");
    // The hint names the one command that runs just the new test.
    expect(output).toContain("`npm test -- test/functions/notify-sales.test.ts`");

    expect(readFileSync(path.join(copy, "inngest/events.ts"), "utf8")).toContain(
      'export const trialConverted = eventType("app/trial.converted"',
    );
    const index = readFileSync(path.join(copy, "inngest/index.ts"), "utf8");
    expect(index).toContain('import { notifySales } from "./functions/notify-sales";');
    // In its place among the other functions' imports, which stay sorted.
    const imported = [...index.matchAll(/from "\.\/functions\/([^"]+)"/g)].map((m) => m[1]);
    expect(imported).toContain("notify-sales");
    expect(imported).toEqual([...imported].sort());
    expect(index).toMatch(/export const functions[\s\S]*\bnotifySales,\n\];/);

    // Typecheck what was generated (and everything it imports) with the project's own settings.
    // Incrementally, from the last run's build info: tsc rechecks whatever changed since (its
    // paths are relative to the copy, so they match from one copy to the next).
    writeFileSync(
      path.join(copy, "tsconfig.scaffold.json"),
      JSON.stringify({
        extends: "./tsconfig.json",
        compilerOptions: { incremental: true, tsBuildInfoFile: "scaffold.tsbuildinfo" },
        include: ["inngest/index.ts", "test/functions/notify-sales.test.ts"],
      }),
    );
    const buildInfo = path.join(copy, "scaffold.tsbuildinfo");
    if (existsSync(keptBuildInfo)) copyFileSync(keptBuildInfo, buildInfo);
    run(copy, bin("tsc"), ["-p", "tsconfig.scaffold.json"]);
    mkdirSync(path.dirname(keptBuildInfo), { recursive: true });
    copyFileSync(buildInfo, `${keptBuildInfo}.${process.pid}`);
    renameSync(`${keptBuildInfo}.${process.pid}`, keptBuildInfo);

    // Exactly the command the hint names: the test passes with checkpointing and step by step.
    const vitest = run(copy, "npm", ["test", "--", "test/functions/notify-sales.test.ts"]);
    expect(vitest).toMatch(/2 passed/);
  }, 180_000);

  it("reuses an event that already exists, with its recorded sample", () => {
    run(copy, bin("tsx"), [
      "scripts/new-function.ts",
      "greet-in-slack",
      "--event",
      "clerk/user.created",
    ]);
    const test = readFileSync(path.join(copy, "test/functions/greet-in-slack.test.ts"), "utf8");
    expect(test).toContain(
      'import sample from "@onramp/standins/contracts/clerk-webhooks/user.created.json"',
    );
    const vitest = run(copy, bin("vitest"), [
      "run",
      "test/functions/greet-in-slack.test.ts",
      "--project",
      "pglite",
    ]);
    expect(vitest).toMatch(/1 passed/);
  }, 120_000);

  it("refuses names and events it cannot turn into code, saying how to call it", () => {
    expect(() => parseScaffoldArgs(["Notify Sales", "--event", "app/x.y"])).toThrow(/kebab-case/);
    expect(() => parseScaffoldArgs(["notify-sales"])).toThrow(/usage: npm run new:function/);
    expect(() =>
      run(copy, bin("tsx"), [
        "scripts/new-function.ts",
        "notify-sales",
        "--event",
        "app/trial.converted",
      ]),
    ).toThrow(/already exists/);
  }, 60_000);
});
