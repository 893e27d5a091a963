import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { InngestDriver, type DriverOptions } from "./driver";
import { driverHandler } from "./http";

export interface ServedDriver {
  driver: InngestDriver;
  /** The driver's origin: the app's INNGEST_BASE_URL. */
  url: string;
  close(): Promise<void>;
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = Object.entries(req.headers).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value]],
  ) as [string, string][];
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? new Uint8Array(Buffer.concat(chunks)) : undefined,
  });
}

/**
 * The driver on a local port (0 picks a free one): the app sends its events here
 * (INNGEST_BASE_URL) and the driver runs them against `serveUrl`. With `eventKey`, the event API
 * takes only that key, as Inngest Cloud does.
 */
export async function serveInngestDriver(
  options: DriverOptions & { port?: number; host?: string; eventKey?: string },
): Promise<ServedDriver> {
  const { port = 0, host = "127.0.0.1", eventKey, ...driverOptions } = options;
  const driver = new InngestDriver(driverOptions);
  const handle = driverHandler(driver, { eventKey });
  let origin = "";
  const server = createServer((req, res) => {
    void (async () => {
      const response = await handle(await toRequest(req, origin));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(error), status: 500 }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  origin = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  return {
    driver,
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        driver.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
