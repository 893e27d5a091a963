import { createServer, request as httpRequest, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveInngestDriver, type ServedDriver } from "@onramp/standins/inngest";

// Who may use the driver on its port (issue 22): a web page the developer visits can reach
// 127.0.0.1, so only requests addressed to a loopback name are answered, and every route but
// `GET /` needs a secret of this start. The app's SDK, holding the keys the driver handed out,
// keeps working: events, an out-of-band sync.

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

let served: ServedDriver;
let appUrl = "";
let handler: RequestListener = (_req, res) => res.end();
const app = createServer((req, res) => handler(req, res));

beforeAll(async () => {
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`;
  served = await serveInngestDriver({ serveUrl: appUrl });
  const inngest = new Inngest({
    id: "access-test",
    isDev: true,
    baseUrl: served.appEnv.INNGEST_BASE_URL,
    eventKey: served.appEnv.INNGEST_EVENT_KEY,
    signingKey: served.appEnv.INNGEST_SIGNING_KEY,
    logger: quiet,
  });
  handler = serve({
    client: inngest,
    functions: [
      inngest.createFunction(
        { id: "hello", triggers: [{ event: "test/hello" }] },
        async () => "hi",
      ),
    ],
  });
});
afterAll(async () => {
  await served.close();
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
});

/** A raw HTTP request to the driver, with whatever Host and headers a browser page could send. */
function send(
  method: string,
  path: string,
  { headers = {}, body }: { headers?: Record<string, string>; body?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  const { port } = new URL(served.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const event = JSON.stringify({ name: "test/hello", data: {} });
const registration = JSON.stringify({
  url: "http://evil.example/api/inngest",
  appName: "evil",
  functions: [],
});

describe("the Inngest driver on its port", () => {
  it("binds 127.0.0.1 and answers GET / with what it is", async () => {
    expect(new URL(served.url).hostname).toBe("127.0.0.1");
    const root = await send("GET", "/");
    expect(root.status).toBe(200);
    expect(JSON.parse(root.body)).toMatchObject({ name: "Inngest driver" });
  });

  it("answers nothing addressed to another name, token or not (DNS rebinding)", async () => {
    const auth = { authorization: `Bearer ${served.token}` };
    for (const host of ["evil.example:8288", "192.168.1.20:8288", "localhost.evil.example"]) {
      for (const [method, path] of [
        ["GET", "/"],
        ["GET", "/runs"],
        ["POST", `/e/${served.appEnv.INNGEST_EVENT_KEY}`],
        ["POST", "/fn/register"],
      ] as const) {
        const body = method === "POST" ? event : undefined;
        const answer = await send(method, path, { headers: { ...auth, host }, body });
        expect(answer.status, `${method} ${path} for ${host}`).toBe(403);
        expect(answer.body).not.toContain('Inngest driver"');
      }
    }
    expect(served.driver.runs).toHaveLength(0);
  });

  it("refuses the simple requests any web page can make, and takes nothing from them", async () => {
    const fromAPage = { "content-type": "text/plain", origin: "http://evil.example" };
    for (const [method, path, body] of [
      ["POST", "/e/NO_EVENT_KEY_SET", event],
      ["POST", "/e/any-key", event],
      ["POST", "/fn/register", registration],
      ["GET", "/runs", undefined],
      ["GET", "/runs/01ANY", undefined],
      ["GET", "/runs?token=not-the-token", undefined],
    ] as const) {
      const answer = await send(method, path, { headers: fromAPage, body });
      expect(answer.status, `${method} ${path}`).toBe(401);
    }
    expect(served.driver.runs).toHaveLength(0);
    expect(served.driver.functionIds()).toEqual([]);
  });

  it("opens its runs with the console link's token, then with the cookie it sets", async () => {
    const link = new URL(served.consoleUrl);
    const first = await send("GET", `${link.pathname}${link.search}`);
    expect(first.status).toBe(200);
    expect(first.headers["referrer-policy"]).toBe("no-referrer");
    const setCookie = String(first.headers["set-cookie"]);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(";")[0]!;
    expect((await send("GET", "/runs", { headers: { cookie } })).status).toBe(200);
    expect(
      (await send("GET", "/runs", { headers: { authorization: `Bearer ${served.token}` } })).status,
    ).toBe(200);
  });

  it("takes the app's events and its out-of-band sync, made by the SDK with the keys handed out", async () => {
    // A sync without the in-band header: the SDK registers at its INNGEST_BASE_URL, with the
    // hashed signing key as its bearer token.
    const synced = await fetch(appUrl, { method: "PUT" });
    expect(synced.status).toBe(200);
    expect(served.driver.functionIds()).toEqual(["access-test-hello"]);

    const sent = await fetch(`${served.url}/e/${served.appEnv.INNGEST_EVENT_KEY}`, {
      method: "POST",
      body: event,
    });
    expect(sent.status).toBe(200);
    await served.driver.idle();
    expect(served.driver.runs[0]).toMatchObject({ status: "completed", result: "hi" });
  });
});
