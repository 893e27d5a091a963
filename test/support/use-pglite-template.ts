import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { inject, vi } from "vitest";
import type { PGliteOptions } from "@electric-sql/pglite";

// Runs before each test file's imports: every new PGlite database the file opens (the app's
// in-memory one under DATABASE_URL=pglite:memory://, or an empty directory) starts from the
// migrated template the global setup dumped (pglite-template-global-setup.ts) instead of running
// initdb and the migrations. The app still runs its migrator on it, which finds nothing to do.
const template = inject("pgliteTemplate");

/** Where PGlite would run initdb: in memory (its default), or a directory with no database yet. */
function isNewDatabase(dataDir: string | undefined) {
  if (dataDir === undefined || dataDir === "memory://") return true;
  if (/^\w+:\/\//.test(dataDir)) return false;
  return !existsSync(path.join(dataDir, "PG_VERSION"));
}

vi.mock("@electric-sql/pglite", async (importOriginal) => {
  const pglite = await importOriginal<typeof import("@electric-sql/pglite")>();
  class PGliteFromTemplate extends pglite.PGlite {
    // PGlite's two forms: (dataDir?, options?) and (options?).
    constructor(dataDirOrOptions?: string | PGliteOptions, more: PGliteOptions = {}) {
      const options =
        typeof dataDirOrOptions === "string"
          ? { ...more, dataDir: dataDirOrOptions }
          : { ...dataDirOrOptions };
      if (isNewDatabase(options.dataDir) && !options.loadDataDir)
        options.loadDataDir = new Blob([readFileSync(template)]);
      super(options);
    }

    // PGlite.create constructs the base class itself.
    static override async create(dataDirOrOptions?: string | PGliteOptions, more?: PGliteOptions) {
      const db = new PGliteFromTemplate(dataDirOrOptions, more);
      await db.waitReady;
      return db;
    }
  }
  return { ...pglite, PGlite: PGliteFromTemplate };
});
