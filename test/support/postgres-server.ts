// A private PostgreSQL server for the tests that need real concurrency: PGlite has one connection,
// so statements that race in production run one at a time there. Debian's `postgresql` package
// provides the binaries; this starts a throwaway cluster in a temp directory, on a free port on
// 127.0.0.1 and its own socket directory, tuned for speed over durability, and deletes it after.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export interface PostgresServer {
  /** A URL for `database` on this server (superuser `onramp`, no password). */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/**
 * The directory holding `postgres` and `initdb`: PG_BIN if set, else the newest
 * /usr/lib/postgresql/<version>/bin (Debian's layout), else null.
 */
export function findPostgresBinaries(): string | null {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : readdirIfExists("/usr/lib/postgresql")
        .filter((version) => /^\d+$/.test(version))
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`);
  return candidates.find((dir) => existsSync(path.join(dir, "postgres"))) ?? null;
}

export const postgresMissing =
  "postgres project skipped: PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN)";

function readdirIfExists(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// Durability traded for speed (the cluster is deleted afterwards); enough connections for every
// worker's pool, the Neon endpoint's pools and the tests' second sessions.
const settings = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  wal_level: "minimal",
  max_wal_senders: "0",
  max_connections: "300",
  shared_buffers: "64MB",
  listen_addresses: "127.0.0.1",
};

const superuser = "onramp";

/** initdb and postgres refuse to run as root: then they run as the `postgres` user. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const [uid, gid] = [id("-u"), id("-g")];
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      "PostgreSQL cannot run as root and there is no `postgres` user (apt-get install postgresql creates it).",
    );
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPostgresServer(bin = findPostgresBinaries()): Promise<PostgresServer> {
  if (!bin) throw new Error(postgresMissing);
  const user = runAs();
  const base = mkdtempSync(path.join(tmpdir(), "onramp-pg-"));
  if (user) chownSync(base, user.uid, user.gid);
  const dataDir = path.join(base, "data");
  const spawnOptions = user ? { uid: user.uid, gid: user.gid } : {};
  const remove = () => rmSync(base, { recursive: true, force: true, maxRetries: 3 });

  const init = spawnSync(
    path.join(bin, "initdb"),
    ["-D", dataDir, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
    { ...spawnOptions, encoding: "utf8" },
  );
  if (init.status !== 0) {
    remove();
    throw new Error(`initdb failed:\n${init.stderr || init.stdout || init.error}`);
  }

  const port = await freePort();
  const args = ["-D", dataDir, "-p", String(port), "-k", base];
  for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`);
  const child: ChildProcess = spawn(path.join(bin, "postgres"), args, {
    ...spawnOptions,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // If the test run dies without its teardown, the server and its files must not outlive it.
  const killOnExit = () => {
    child.kill("SIGQUIT");
    remove();
  };
  process.once("exit", killOnExit);

  const urlFor = (database: string) =>
    `postgres://${superuser}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGINT"); // fast shutdown: ends the sessions, no waiting for clients
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    remove();
  };

  try {
    await waitUntilReady(urlFor("postgres"), child, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  // Its log only matters if it fails to start; from here on it is read and dropped.
  child.stderr!.removeAllListeners("data").resume();
  return { urlFor, stop };
}

async function waitUntilReady(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited at start:\n${log()}`);
    const client = new pg.Client(url);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        throw new Error(`postgres did not accept connections within 30 s: ${error}\n${log()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const shared = globalThis as typeof globalThis & {
  onrampPostgres?: { server: Promise<PostgresServer>; users: number };
};

/**
 * The run's one server, shared by the global setups of every project that uses it (they run in
 * the same process); it stops when the last of them lets go.
 */
export async function acquirePostgresServer(): Promise<{
  server: PostgresServer;
  release(): Promise<void>;
}> {
  const entry = (shared.onrampPostgres ??= { server: startPostgresServer(), users: 0 });
  entry.users += 1;
  const server = await entry.server;
  return {
    server,
    async release() {
      entry.users -= 1;
      if (entry.users > 0) return;
      shared.onrampPostgres = undefined;
      await server.stop();
    },
  };
}
