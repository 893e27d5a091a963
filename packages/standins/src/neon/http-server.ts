// Production reaches Postgres only through Neon's SQL-over-HTTP API (`neon()` from
// @neondatabase/serverless, wrapped by drizzle-orm/neon-http). That driver behaves unlike
// node-postgres: every request is its own session, only `sql.transaction([...])` batches are
// atomic, and values come back as Postgres text that the client parses. This server speaks that
// HTTP protocol, so tests can run the real production driver offline, and code that only works on
// some other driver fails in tests as it would in production.
//
// Behind it, either:
// - a real PostgreSQL server (`{ postgres: url }`): each request takes a connection from a pool
//   for the database its connection string names, so concurrent requests run concurrently, as
//   they do at Neon; or
// - an in-process PGlite (the default). PGlite has ONE connection: requests are serialized behind
//   its mutex, one statement (or batch) at a time, so nothing that races in production can race
//   here. It serves the one database `onramp`.
//
// Point the driver at it with `neonConfig.fetchEndpoint = server.url` (global, not per client) and
// `neon(server.connectionString)`.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PGlite, messages, protocol } from "@electric-sql/pglite";
import pg from "pg";

/** `url` with its database replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${encodeURIComponent(database)}`;
  return next.href;
}

export interface NeonHttpServer {
  /** The SQL endpoint, e.g. http://127.0.0.1:PORT/sql. */
  url: string;
  /** A connection string the driver accepts; other credentials are refused as Neon would. */
  connectionString: string;
  /** Stops the server; closes the PGlite instance or the pools only if this server created them. */
  close(): Promise<void>;
}

const USER = "onramp";
const PASSWORD = "onramp";
/** The one database of a PGlite-backed endpoint. */
const PGLITE_DATABASE = "onramp";

// The driver sends options.isolationLevel verbatim; these are the values Neon accepts.
const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

// The fields of a Postgres error that the driver copies onto its NeonDbError.
const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

type TextValue = string | null;

interface WireQuery {
  query: string;
  params: TextValue[];
}

interface Field {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
}

/** One statement's result as Postgres sent it: text values, in column order. */
interface RawResult {
  command: string;
  rowCount: number | null;
  fields: Field[];
  rows: TextValue[][];
}

interface QueryResult extends Omit<RawResult, "rows"> {
  rows: TextValue[][] | Record<string, TextValue>[];
  rowAsArray: boolean;
}

/** Where the statements run: one statement in its own session, or a batch inside `begin`..COMMIT. */
interface SqlBackend {
  query(database: string, query: WireQuery): Promise<RawResult>;
  batch(database: string, begin: string, queries: WireQuery[]): Promise<RawResult[]>;
  close(): Promise<void>;
}

/** Rejected before reaching Postgres; Neon answers these with a 400 and a bare message. */
class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly code?: string,
  ) {
    super(message);
  }
}

export async function startNeonHttpServer(
  options: { pglite?: PGlite; postgres?: string } = {},
): Promise<NeonHttpServer> {
  const backend = options.postgres
    ? poolBackend(options.postgres)
    : await pgliteBackend(options.pglite);
  const defaultDatabase = options.postgres
    ? decodeURIComponent(new URL(options.postgres).pathname.slice(1))
    : PGLITE_DATABASE;

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    try {
      const { pathname } = new URL(req.url ?? "/", "http://localhost");
      if (req.method !== "POST" || pathname !== "/sql") {
        throw new RequestError(`no route for ${req.method} ${pathname}`, 404);
      }
      const database = checkCredentials(req.headers["neon-connection-string"]);
      // The driver always asks for raw text output and array mode; JSON-typed output is a different
      // contract that nothing here relies on, so refuse it rather than approximate it.
      if (header(req, "neon-raw-text-output") !== "true") {
        throw new RequestError("this test endpoint only supports Neon-Raw-Text-Output: true");
      }
      const arrayMode = header(req, "neon-array-mode") === "true";
      const body = parseBody(await readBody(req));

      if ("queries" in body) {
        const results = await backend.batch(database, beginStatement(req), body.queries);
        send(res, 200, { results: results.map((result) => shape(result, arrayMode)) });
      } else {
        send(res, 200, shape(await backend.query(database, body), arrayMode));
      }
    } catch (error) {
      if (error instanceof messages.DatabaseError || error instanceof pg.DatabaseError) {
        send(res, 400, databaseErrorBody(error));
      } else if (error instanceof RequestError) {
        send(res, error.status, { message: error.message, code: error.code });
      } else {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(error instanceof Error ? (error.stack ?? error.message) : String(error));
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/sql`,
    connectionString: `postgres://${USER}:${PASSWORD}@db.localtest.me/${encodeURIComponent(defaultDatabase)}`,
    async close() {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      // fetch keeps connections alive; without this close() waits for them to time out.
      server.closeAllConnections();
      await closed;
      await backend.close();
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The database the connection string names, once its credentials are the endpoint's. */
function checkCredentials(raw: string | string[] | undefined): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) throw new RequestError("missing Neon-Connection-String header");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RequestError("Neon-Connection-String is not a valid URL");
  }
  // A test wired to the wrong database URL should fail loudly, as it would against Neon.
  if (decodeURIComponent(url.username) !== USER || decodeURIComponent(url.password) !== PASSWORD) {
    throw new RequestError(
      `password authentication failed for user "${decodeURIComponent(url.username)}"`,
      400,
      "28P01",
    );
  }
  return decodeURIComponent(url.pathname.slice(1));
}

function beginStatement(req: IncomingMessage): string {
  let begin = "BEGIN";
  const isolation = header(req, "neon-batch-isolation-level");
  if (isolation !== undefined) {
    const level = ISOLATION_LEVELS[isolation];
    if (!level) throw new RequestError(`invalid Neon-Batch-Isolation-Level: ${isolation}`);
    begin += ` ISOLATION LEVEL ${level}`;
  }
  const readOnly = header(req, "neon-batch-read-only");
  if (readOnly !== undefined) begin += readOnly === "true" ? " READ ONLY" : " READ WRITE";
  const deferrable = header(req, "neon-batch-deferrable");
  if (deferrable !== undefined) begin += deferrable === "true" ? " DEFERRABLE" : " NOT DEFERRABLE";
  return begin;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): WireQuery | { queries: WireQuery[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestError("request body is not valid JSON");
  }
  if (isObject(body) && Array.isArray(body.queries)) {
    return { queries: body.queries.map(parseQuery) };
  }
  return parseQuery(body);
}

function parseQuery(value: unknown): WireQuery {
  if (!isObject(value) || typeof value.query !== "string") {
    throw new RequestError('expected {"query": string, "params": [...]} or {"queries": [...]}');
  }
  const params = value.params ?? [];
  if (!Array.isArray(params)) throw new RequestError("params must be an array");
  // The driver pre-serialises every value to Postgres text (or null); accept bare JSON scalars too.
  return {
    query: value.query,
    params: params.map((param: unknown) => {
      if (param === null || typeof param === "string") return param;
      if (typeof param === "number" || typeof param === "boolean") return String(param);
      throw new RequestError(`unsupported parameter value: ${JSON.stringify(param)}`);
    }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A column as Neon describes it: every value is sent as text. */
function textField(field: Omit<Field, "format">): Field {
  const { name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier } = field;
  return { name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier, format: "text" };
}

/** Neon's result for one statement: rows as arrays, or as objects keyed by column name. */
function shape(result: RawResult, arrayMode: boolean): QueryResult {
  const { rows, fields } = result;
  return {
    ...result,
    rows: arrayMode
      ? rows
      : rows.map((row) =>
          Object.fromEntries(fields.map((field, i) => [field.name, row[i] ?? null])),
        ),
    rowAsArray: arrayMode,
  };
}

/**
 * A real server: a pool per database, so concurrent requests hold connections of their own, as at
 * Neon. Statements go out as the driver sends them to Neon: extended protocol (so a
 * multi-statement string is refused), untyped text parameters, results left as text.
 */
function poolBackend(serverUrl: string): SqlBackend {
  const pools = new Map<string, pg.Pool>();
  const poolFor = (database: string) => {
    let pool = pools.get(database);
    if (!pool) {
      pool = new pg.Pool({ connectionString: databaseUrl(serverUrl, database), max: 10 });
      // A connection the server closes while idle (e.g. at shutdown) must not crash the run.
      pool.on("error", () => {});
      pools.set(database, pool);
    }
    return pool;
  };
  const asText = { getTypeParser: () => (value: string) => value };

  async function run(client: pg.PoolClient, { query, params }: WireQuery): Promise<RawResult> {
    const config = { text: query, values: params, rowMode: "array" as const, types: asText };
    const result = await client.query<TextValue[]>({
      ...config,
      queryMode: "extended",
    } as typeof config);
    return {
      command: result.command,
      rowCount: result.rowCount,
      fields: result.fields.map(textField),
      rows: result.rows,
    };
  }

  /** Runs `work` on a pooled connection; one left inside a transaction is thrown away, as Neon does. */
  async function withClient<T>(database: string, work: (client: pg.PoolClient) => Promise<T>) {
    const client = await poolFor(database).connect();
    try {
      return await work(client);
    } finally {
      client.release(client.getTransactionStatus() !== "I");
    }
  }

  return {
    query: (database, query) => withClient(database, (client) => run(client, query)),
    batch: (database, begin, queries) =>
      withClient(database, async (client) => {
        await client.query(begin);
        try {
          const results: RawResult[] = [];
          for (const query of queries) results.push(await run(client, query));
          await client.query("COMMIT");
          return results;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        }
      }),
    close: async () => {
      await Promise.all([...pools.values()].map((pool) => pool.end()));
    },
  };
}

/** PGlite: one connection, so every request waits for the one before it (see the header). */
async function pgliteBackend(given?: PGlite): Promise<SqlBackend> {
  const pglite = given ?? (await PGlite.create());
  await pglite.waitReady;

  // Taking both of its mutexes (transaction, then query — the order its own query() uses) keeps a
  // request from interleaving with direct pglite calls, including a pglite.transaction() in
  // progress, and holds a batch's BEGIN..COMMIT together.
  const exclusive = async <T>(database: string, fn: () => Promise<T>) => {
    if (database !== PGLITE_DATABASE) {
      throw new RequestError(`database "${database}" does not exist`, 400, "3D000");
    }
    return pglite._runExclusiveTransaction(() => pglite.runExclusive(fn));
  };

  return {
    query: (database, query) =>
      exclusive(database, async () => {
        try {
          return await runExtended(pglite, query);
        } finally {
          // Neon throws away a pooled connection left inside a transaction, so a lone `BEGIN`
          // never carries over to the next request. Mirror that instead of leaking it.
          if (pglite.isInTransaction()) {
            await runSimple(pglite, "ROLLBACK");
            await runSimple(pglite, "DISCARD ALL");
          }
        }
      }),
    batch: (database, begin, queries) =>
      exclusive(database, async () => {
        await runSimple(pglite, begin);
        try {
          const results: RawResult[] = [];
          for (const query of queries) results.push(await runExtended(pglite, query));
          await runSimple(pglite, "COMMIT");
          return results;
        } catch (error) {
          // ROLLBACK outside a transaction (e.g. COMMIT itself failed) is only a warning.
          await runSimple(pglite, "ROLLBACK");
          throw error;
        }
      }),
    close: async () => {
      if (!given) await pglite.close();
    },
  };
}

/**
 * Runs one statement on PGlite the way Neon does: extended protocol with untyped text
 * parameters, so the server infers their types and a multi-statement string is rejected, and
 * text-format results, which are passed on untouched because the driver parses them itself.
 */
async function runExtended(pglite: PGlite, { query, params }: WireQuery): Promise<RawResult> {
  const { serialize } = protocol;
  const request = concat([
    serialize.parse({ text: query }),
    serialize.bind({ values: params }),
    serialize.describe({ type: "P" }),
    serialize.execute({}),
    serialize.sync(),
  ]);
  // throwOnError: false so the trailing Sync is always processed and the connection stays usable.
  const { messages: replies } = await pglite.execProtocol(request, { throwOnError: false });

  let fields: Field[] = [];
  const rows: TextValue[][] = [];
  let tag = "";
  for (const reply of replies) {
    if (reply instanceof messages.DatabaseError) throw reply;
    if (reply instanceof messages.RowDescriptionMessage) {
      fields = reply.fields.map(textField);
    } else if (reply instanceof messages.DataRowMessage) {
      rows.push(reply.fields);
    } else if (reply instanceof messages.CommandCompleteMessage) {
      tag = reply.text;
    }
  }

  // Neon reports the tag's first word and its trailing count ("INSERT 0 3" -> INSERT, 3), or null.
  const [command = "", ...rest] = tag.split(" ");
  const count = command === "INSERT" ? rest[1] : rest[0];
  return {
    command,
    rowCount: count !== undefined && /^\d+$/.test(count) ? Number(count) : null,
    fields,
    rows,
  };
}

async function runSimple(pglite: PGlite, statement: string): Promise<void> {
  const { messages: replies } = await pglite.execProtocol(protocol.serialize.query(statement), {
    throwOnError: false,
  });
  const error = replies.find((reply) => reply instanceof messages.DatabaseError);
  if (error) throw error;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function databaseErrorBody(
  error: messages.DatabaseError | pg.DatabaseError,
): Record<string, unknown> {
  const body: Record<string, unknown> = { message: error.message };
  for (const field of ERROR_FIELDS) {
    if (error[field] !== undefined) body[field] = error[field];
  }
  return body;
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
