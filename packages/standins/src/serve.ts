import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { getResponse } from "msw";
import type { StandIn } from "./standin";

export interface Served {
  /** The server's origin, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

export interface ServedStandIn<T extends StandIn> extends Served {
  standIn: T;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A fetch-style handler on a real local port (0, the default, picks a free one), so another
 * process (`next start`, `next dev`, a browser) can reach it. It listens on 127.0.0.1 unless
 * given another `host`; on all interfaces (0.0.0.0, ::) its URL names `urlHost` instead.
 */
export async function serveHandler(
  handle: (request: Request, origin: string) => Promise<Response>,
  {
    port = 0,
    host = "127.0.0.1",
    urlHost,
  }: { port?: number; host?: string; urlHost?: string } = {},
): Promise<Served> {
  let origin = "";
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const request = new Request(new URL(req.url ?? "/", origin), {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([name, value]) =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value]],
        ) as [string, string][],
        body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
      });
      const response = await handle(request, origin);
      // Set-Cookie may repeat; every other header is single.
      const headers: Record<string, string | string[]> = Object.fromEntries(response.headers);
      const cookies = response.headers.getSetCookie();
      if (cookies.length) headers["set-cookie"] = cookies;
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const named = (host === "0.0.0.0" || host === "::" ? (urlHost ?? "127.0.0.1") : host).replace(
    /^\[(.*)\]$/,
    "$1",
  );
  const hostname = named.includes(":") ? `[${named}]` : named;
  origin = `http://${hostname}:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves one of the vendor stand-ins (written as msw handlers, for in-process tests too) on a
 * real local port, so another process can reach it through the vendor SDK's base-URL setting.
 * Requests go through msw's own handler matching unchanged.
 */
export async function serveStandIn<T extends StandIn>(
  create: (baseUrl: string) => T,
): Promise<ServedStandIn<T>> {
  // Requests arrive only once the server listens, by when the stand-in exists.
  const created: { standIn?: T } = {};
  const served = await serveHandler(async (request) => {
    const response = await getResponse([created.standIn!.handler()], request);
    return response ?? new Response("no stand-in route", { status: 404 });
  });
  const standIn = (created.standIn = create(served.url));
  return { ...served, standIn };
}
