import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { connect, migrationsFolder } from "@/lib/db/client";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data directory, dumped (test/support/use-pglite-template.ts loads it). */
    pgliteTemplate: string;
  }
}

/**
 * The pglite project: one PGlite database migrated by the app's own migrator, dumped to a file
 * that every test file's in-memory database starts from. Starting from the dump takes a fraction
 * of initdb plus the migrations. The file is named after the migrations and PGlite's version, so
 * it is made again whenever either changes, and kept between runs (one test file runs faster).
 */
export default async function setup(project: TestProject) {
  const file = path.join(cacheDir(), `pglite-template-${templateKey()}.tar`);
  if (!existsSync(file)) await dumpMigratedDatabase(file);
  project.provide("pgliteTemplate", file);
}

async function dumpMigratedDatabase(file: string) {
  const connection = await connect("pglite:memory://");
  try {
    await connection.migrate();
    const client = (connection.db as unknown as { $client: PGlite }).$client;
    const dump = await client.dumpDataDir("none");
    mkdirSync(path.dirname(file), { recursive: true });
    // Written aside and renamed, so a run starting meanwhile never reads half a file.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  } finally {
    await connection.close();
  }
}

function templateKey() {
  const hash = createHash("sha256");
  const require = createRequire(import.meta.url);
  const pglite = path.join(path.dirname(require.resolve("@electric-sql/pglite")), "..");
  hash.update(JSON.parse(readFileSync(path.join(pglite, "package.json"), "utf8")).version);
  const files = readdirSync(migrationsFolder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files)
    hash.update(path.relative(migrationsFolder, file)).update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

const cacheDir = () => path.join(process.cwd(), "node_modules/.cache/onramp-tests");
