import { readFileSync } from "node:fs";
import { inject, vi } from "vitest";

// Runs before each test file's imports: every in-memory PGlite the file opens (the app's database
// under DATABASE_URL=pglite:memory://) starts from the migrated template the global setup dumped
// (test/support/pglite-template-global-setup.ts) instead of running initdb and the migrations.
// The app still runs its migrator on it, which finds nothing to do.
const template = inject("pgliteTemplate");

vi.mock("@electric-sql/pglite", async (importOriginal) => {
  const pglite = await importOriginal<typeof import("@electric-sql/pglite")>();
  class FromTemplate extends pglite.PGlite {
    constructor(dataDir?: string, options: import("@electric-sql/pglite").PGliteOptions = {}) {
      const inMemory = dataDir === "memory://" && !options.loadDataDir;
      super(
        dataDir,
        inMemory ? { ...options, loadDataDir: new Blob([readFileSync(template)]) } : options,
      );
    }
  }
  return { ...pglite, PGlite: FromTemplate };
});
