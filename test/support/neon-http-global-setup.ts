import type { TestProject } from "vitest/node";
import { connect } from "@/lib/db/client";
import { startNeonHttpServer } from "./neon-http-server";

declare module "vitest" {
  export interface ProvidedContext {
    neonHttp: { connectionString: string; fetchEndpoint: string };
  }
}

/** One SQL-over-HTTP endpoint for the run, migrated through the Neon driver itself. */
export default async function setup(project: TestProject) {
  const server = await startNeonHttpServer();
  const connection = await connect(server.connectionString, server.url);
  await connection.migrate();
  project.provide("neonHttp", {
    connectionString: server.connectionString,
    fetchEndpoint: server.url,
  });
  return () => server.close();
}
