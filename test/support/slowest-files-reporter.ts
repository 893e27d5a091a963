import type { Reporter, TestModule } from "vitest/node";

const shown = 10;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Lists the slowest test files after the summary, so whoever makes the run slower sees it: each
 * file's time from its worker starting it to its last test (setup, imports and the tests
 * themselves), with what its imports took.
 */
export default class SlowestFilesReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    if (testModules.length < 2) return;
    const timed = testModules.map((testModule) => {
      const d = testModule.diagnostic();
      const imports =
        d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration;
      return { testModule, imports, total: imports + d.duration };
    });
    timed.sort((a, b) => b.total - a.total);
    const lines = timed
      .slice(0, shown)
      .map(
        ({ testModule, imports, total }) =>
          `  ${seconds(total).padStart(7)}  ${testModule.project.name.padEnd(9)} ${testModule.relativeModuleId}  (setup and imports ${seconds(imports)})`,
      );
    console.log(`\nSlowest ${lines.length} test files:\n${lines.join("\n")}\n`);
  }
}
