import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { InngestDriver, type DriverOptions } from "./driver";
import { newDriverAccess } from "./access";
import { driverHandler } from "./http";

export interface ServedDriver {
  driver: InngestDriver;
  /** The driver's origin, on 127.0.0.1. */
  url: string;
  /** This start's token (access.ts): what a person or a tool shows to use the API. */
  token: string;
  /** The runs, with the token: the link to open in a browser. */
  consoleUrl: string;
  /** What the app needs to reach this driver: its INNGEST_BASE_URL and the keys its SDK sends. */
  appEnv: { INNGEST_BASE_URL: string; INNGEST_EVENT_KEY: string; INNGEST_SIGNING_KEY: string };
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
 * The driver on a loopback port (0 picks a free one): the app sends its events here
 * (INNGEST_BASE_URL) and the driver runs them against `serveUrl`. It binds 127.0.0.1 only and
 * answers only what this start's secrets open (access.ts): `appEnv` hands the app its keys,
 * `consoleUrl` a person theirs. `eventKey` and `signingKey` (which then also signs every request,
 * for an app in cloud mode) are taken as given, to match an app already configured with them.
 */
export async function serveInngestDriver(
  options: DriverOptions & { port?: number; eventKey?: string },
): Promise<ServedDriver> {
  const { port = 0, eventKey, ...driverOptions } = options;
  const driver = new InngestDriver(driverOptions);
  const access = newDriverAccess({ eventKey, signingKey: driverOptions.signingKey });
  const handle = driverHandler(driver, access);
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
    server.listen(port, "127.0.0.1", resolve);
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    driver,
    url: origin,
    token: access.token,
    consoleUrl: `${origin}/runs?token=${access.token}`,
    appEnv: {
      INNGEST_BASE_URL: origin,
      INNGEST_EVENT_KEY: access.eventKey,
      INNGEST_SIGNING_KEY: access.signingKey,
    },
    close: () =>
      new Promise<void>((resolve) => {
        driver.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
