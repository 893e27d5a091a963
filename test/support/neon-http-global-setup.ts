import type { TestProject } from "vitest/node";
import { connect } from "@/lib/db/client";
import { startNeonHttpServer } from "@onramp/standins/neon";
import { createDatabase } from "./postgres-databases";
import { acquirePostgresServer, findPostgresBinaries } from "./postgres-server";

declare module "vitest" {
  export interface ProvidedContext {
    neonHttp: {
      connectionString: string;
      fetchEndpoint: string;
      /** The real server behind the endpoint and the migrated template; null behind PGlite. */
      postgres: { serverUrl: string; template: string } | null;
    };
  }
}

const template = "onramp_neon_template";

/**
 * One SQL-over-HTTP endpoint for the run. With PostgreSQL installed it serves the run's server
 * (concurrent requests really run concurrently) and each test file gets a copy of a template
 * migrated through the Neon driver itself (test/support/use-neon-http.ts); without it, one
 * PGlite database shared by every file, one statement at a time.
 */
export default async function setup(project: TestProject) {
  if (!findPostgresBinaries()) {
    const server = await startNeonHttpServer();
    await migrateThrough(server.connectionString, server.url);
    project.provide("neonHttp", {
      connectionString: server.connectionString,
      fetchEndpoint: server.url,
      postgres: null,
    });
    return () => server.close();
  }

  const { server: postgres, release } = await acquirePostgresServer();
  const serverUrl = postgres.urlFor("postgres");
  await createDatabase(serverUrl, template);
  // Its own endpoint, closed after, so no pooled connection keeps the template from being copied.
  const migrating = await startNeonHttpServer({ postgres: postgres.urlFor(template) });
  try {
    await migrateThrough(migrating.connectionString, migrating.url);
  } finally {
    await migrating.close();
  }
  const server = await startNeonHttpServer({ postgres: serverUrl });
  project.provide("neonHttp", {
    connectionString: server.connectionString,
    fetchEndpoint: server.url,
    postgres: { serverUrl, template },
  });
  return async () => {
    await server.close();
    await release();
  };
}

async function migrateThrough(connectionString: string, fetchEndpoint: string) {
  const connection = await connect(connectionString, fetchEndpoint);
  await connection.migrate();
}
