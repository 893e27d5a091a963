import { randomUUID } from "node:crypto";
import pg from "pg";
import { databaseUrl } from "@onramp/standins/neon";

export { databaseUrl } from "@onramp/standins/neon";

/**
 * Creates `database` on the server `serverUrl` points at, as a copy of `template` if given. A
 * copy of a migrated template takes milliseconds where migrating takes a second.
 */
export async function createDatabase(serverUrl: string, database: string, template?: string) {
  const client = new pg.Client(databaseUrl(serverUrl, "postgres"));
  await client.connect();
  try {
    const copy = template ? ` template ${client.escapeIdentifier(template)}` : "";
    await client.query(`create database ${client.escapeIdentifier(database)}${copy}`);
  } finally {
    await client.end();
  }
}

/** A new database for one test file, copied from `template`: its name. */
export async function createTestDatabase(serverUrl: string, template: string): Promise<string> {
  const database = `test_${randomUUID().replaceAll("-", "")}`;
  await createDatabase(serverUrl, database, template);
  return database;
}
