import { inject } from "vitest";
import { createTestDatabase, databaseUrl } from "./postgres-databases";

// Runs before each test file's imports, so lib/env sees the Neon endpoint as DATABASE_URL. Behind
// a real server the file gets a database of its own, a copy of the migrated template.
const { connectionString, fetchEndpoint, postgres } = inject("neonHttp");
if (postgres) {
  const database = await createTestDatabase(postgres.serverUrl, postgres.template);
  process.env.DATABASE_URL = databaseUrl(connectionString, database);
  // A second session on the same database, for tests that hold a lock (test/support/contention.ts).
  process.env.TEST_POSTGRES_URL = databaseUrl(postgres.serverUrl, database);
} else {
  process.env.DATABASE_URL = connectionString;
}
process.env.NEON_FETCH_ENDPOINT = fetchEndpoint;
