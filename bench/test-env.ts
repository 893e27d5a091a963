/**
 * The tests' hermetic environment (vitest.config.ts: every vendor at a stand-in URL, PGlite in
 * memory) for a benchmark that runs the app's code in its own process. Call it before any app
 * module loads: lib/env reads the environment once. A variable already set is kept.
 */
export async function loadTestEnvironment() {
  const { default: vitestConfig } = await import("../vitest.config");
  for (const [name, value] of Object.entries(vitestConfig.test?.env ?? {}))
    process.env[name] ??= value;
}
