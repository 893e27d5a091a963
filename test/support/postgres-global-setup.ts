import type { TestProject } from "vitest/node";
import { connect } from "@/lib/db/client";
import { createDatabase, databaseUrl } from "./postgres-databases";
import { acquirePostgresServer } from "./postgres-server";

declare module "vitest" {
  export interface ProvidedContext {
    postgres: { serverUrl: string; template: string };
  }
}

const template = "onramp_template";

/**
 * The postgres project: the run's PostgreSQL server and a template database migrated once through
 * the app's node-postgres driver; each test file gets a copy (test/support/use-postgres.ts).
 */
export default async function setup(project: TestProject) {
  const { server, release } = await acquirePostgresServer();
  const serverUrl = server.urlFor("postgres");
  await createDatabase(serverUrl, template);
  const connection = await connect(databaseUrl(serverUrl, template), "");
  try {
    await connection.migrate();
  } finally {
    // Nobody may stay connected to a template while it is copied.
    await connection.close();
  }
  project.provide("postgres", { serverUrl, template });
  return release;
}
