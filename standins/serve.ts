import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { getResponse } from "msw";
import type { StandIn } from "./standin";

export interface ServedStandIn<T extends StandIn> {
  standIn: T;
  url: string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Serves one of the team's vendor stand-ins (test/support/vendors, written as msw handlers for
 * in-process tests) on a real local port, so another process (`next start`) can reach it through
 * the vendor SDK's base-URL setting. Requests go through msw's own handler matching unchanged.
 */
export async function serveStandIn<T extends StandIn>(
  create: (baseUrl: string) => T,
): Promise<ServedStandIn<T>> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const request = new Request(new URL(req.url ?? "/", standIn.baseUrl), {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([name, value]) =>
          value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value]],
        ) as [string, string][],
        body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
      });
      const response =
        (await getResponse([standIn.handler()], request)) ??
        new Response("no stand-in route", { status: 404 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Requests arrive only once the server listens, by when the stand-in exists.
  const standIn = create(url);
  return {
    standIn,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
