import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { env } from "@/lib/env";
import * as schema from "./schema";

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Driver = "pglite" | "neon-http" | "node-postgres";

export interface Connection {
  db: Database;
  driver: Driver;
  /** Applies the committed migrations with the migrator that matches the driver. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = path.join(process.cwd(), "lib/db/migrations");
const defaultPgliteDir = path.join(process.cwd(), ".data/pglite");

/**
 * Unset or `pglite:<dir>` → embedded PGlite (`pglite:memory://` keeps it in memory);
 * a Neon host, or any URL when NEON_FETCH_ENDPOINT is set → Neon's HTTP driver;
 * any other postgres:// URL → node-postgres.
 */
export function driverFor(url: string | undefined, neonFetchEndpoint?: string): Driver {
  if (!url || url.startsWith("pglite:")) return "pglite";
  if (neonFetchEndpoint) return "neon-http";
  const host = new URL(url).hostname;
  return host.endsWith(".neon.tech") || host.endsWith(".neon.build")
    ? "neon-http"
    : "node-postgres";
}

export async function connect(
  url = env.DATABASE_URL,
  neonFetchEndpoint = env.NEON_FETCH_ENDPOINT,
): Promise<Connection> {
  switch (driverFor(url, neonFetchEndpoint)) {
    case "pglite": {
      const { PGlite } = await import("@electric-sql/pglite");
      const { drizzle } = await import("drizzle-orm/pglite");
      const { migrate } = await import("drizzle-orm/pglite/migrator");
      const dataDir = url ? url.slice("pglite:".length) : defaultPgliteDir;
      if (!dataDir.includes("://")) await mkdir(dataDir, { recursive: true });
      const client = new PGlite(dataDir);
      const db = drizzle({ client, schema });
      return {
        db,
        driver: "pglite",
        migrate: () => migrate(db, { migrationsFolder }),
        close: () => client.close(),
      };
    }
    case "neon-http": {
      const { neon, neonConfig } = await import("@neondatabase/serverless");
      const { drizzle } = await import("drizzle-orm/neon-http");
      const { migrate } = await import("drizzle-orm/neon-http/migrator");
      if (neonFetchEndpoint) neonConfig.fetchEndpoint = () => neonFetchEndpoint;
      const db = drizzle({ client: neon(url!), schema });
      return {
        db,
        driver: "neon-http",
        migrate: () => migrate(db, { migrationsFolder }),
        close: async () => {},
      };
    }
    case "node-postgres": {
      const { Pool } = await import("pg");
      const { drizzle } = await import("drizzle-orm/node-postgres");
      const { migrate } = await import("drizzle-orm/node-postgres/migrator");
      const pool = new Pool({ connectionString: url, max: 5 });
      const db = drizzle({ client: pool, schema });
      return {
        db,
        driver: "node-postgres",
        migrate: () => migrate(db, { migrationsFolder }),
        close: () => pool.end(),
      };
    }
  }
}

// One connection per process; kept on globalThis so `next dev` reloads don't open PGlite twice.
const holder = globalThis as typeof globalThis & { onrampDb?: Promise<Connection> };

/** The app's database. The embedded PGlite migrates itself on first use; servers use db:migrate. */
export function getConnection(): Promise<Connection> {
  if (!holder.onrampDb) {
    const pending = connect().then(async (connection) => {
      if (connection.driver === "pglite") await connection.migrate();
      return connection;
    });
    // A failed start (bad URL, migration error) must not stick: the next request tries again.
    pending.catch(() => {
      if (holder.onrampDb === pending) holder.onrampDb = undefined;
    });
    holder.onrampDb = pending;
  }
  return holder.onrampDb;
}

export async function getDb(): Promise<Database> {
  return (await getConnection()).db;
}

/** Closes the app's connection (tests, CLIs); the next getDb() opens a new one. */
export async function closeConnection() {
  const pending = holder.onrampDb;
  holder.onrampDb = undefined;
  const connection = await pending?.catch(() => undefined);
  await connection?.close();
}
