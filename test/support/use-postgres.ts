import { inject } from "vitest";
import { createTestDatabase, databaseUrl } from "./postgres-databases";

// Runs before each test file's imports: the file gets a database of its own on the real server,
// a copy of the migrated template, and lib/env sees it as DATABASE_URL (node-postgres, a pool).
const { serverUrl, template } = inject("postgres");
const url = databaseUrl(serverUrl, await createTestDatabase(serverUrl, template));
process.env.DATABASE_URL = url;
// A second session on the same database, for tests that hold a lock (test/support/contention.ts).
process.env.TEST_POSTGRES_URL = url;
