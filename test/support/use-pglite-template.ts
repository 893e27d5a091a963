import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { inject, vi } from "vitest";
import type { PGliteOptions } from "@electric-sql/pglite";

// Runs before each test file's imports: every new PGlite database the file opens (the app's
// in-memory one under DATABASE_URL=pglite:memory://, or an empty directory) starts from the
// migrated template the global setup dumped (pglite-template-global-setup.ts) instead of running
// initdb and the migrations. The app still runs its migrator on it, which finds nothing to do.
const template = inject("pgliteTemplate");

/** Where PGlite would run initdb: in memory, or a directory that holds no database yet. */
function isNewDatabase(dataDir: string | undefined) {
  if (dataDir === "memory://") return true;
  if (!dataDir || /^\w+:\/\//.test(dataDir)) return false;
  return !existsSync(path.join(dataDir, "PG_VERSION"));
}

vi.mock("@electric-sql/pglite", async (importOriginal) => {
  const pglite = await importOriginal<typeof import("@electric-sql/pglite")>();
  class PGliteFromTemplate extends pglite.PGlite {
    constructor(dataDir?: string, options: PGliteOptions = {}) {
      const fromTemplate = isNewDatabase(dataDir) && !options.loadDataDir;
      super(
        dataDir,
        fromTemplate ? { ...options, loadDataDir: new Blob([readFileSync(template)]) } : options,
      );
    }
  }
  return { ...pglite, PGlite: PGliteFromTemplate };
});
