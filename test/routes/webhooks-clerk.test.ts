import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { POST } from "@/app/api/webhooks/clerk/route";
import { maxWebhookBytes } from "@/lib/webhooks/ingress";
import { setupVendors } from "@onramp/standins/vitest";
import { clerkDelivery, clerkWebhookUrl } from "@/test/support/webhooks";
import { contractPath } from "@onramp/standins/contracts";

const vendors = setupVendors();
const fixturesDir = contractPath("clerk-webhooks");
// Clerk's published samples (copied verbatim into packages/standins/contracts/clerk-webhooks).
const samples = readdirSync(fixturesDir)
  .filter((file) => file.endsWith(".json"))
  .map((file) => ({ file, body: readFileSync(path.join(fixturesDir, file), "utf8") }));

interface Delivery {
  body: string;
  msgId?: string;
  at?: Date;
  signWith?: string;
  /** sign this instead of `body` (a tampered delivery) */
  signedBody?: string;
  omit?: "svix-id" | "svix-timestamp" | "svix-signature";
}

/** A delivery as Svix makes it (test/support/webhooks), in this file's terms. */
const svixRequest = ({ body, signWith, signedBody, omit, ...options }: Delivery) =>
  clerkDelivery(body, {
    ...options,
    secret: signWith,
    signed: signedBody,
    headers: omit ? { [omit]: null } : undefined,
  });

const sent = () => vendors.inngest.count("POST", /^\/e\//);

describe("POST /api/webhooks/clerk", () => {
  it.each(samples)(
    "forwards $file as clerk/<type> with Clerk's data untouched",
    async ({ body }) => {
      const msgId = `msg_${randomUUID()}`;
      const response = await POST(svixRequest({ body, msgId }));

      expect(response.status).toBe(200);
      const sample = JSON.parse(body);
      expect(vendors.inngest.events).toEqual([
        expect.objectContaining({
          id: `clerk-${msgId}`,
          name: `clerk/${sample.type}`,
          data: sample.data,
        }),
      ]);
      expect(await response.json()).toEqual({ received: true, id: `clerk-${msgId}` });
    },
  );

  it("forwards every verified type, not only the ones a function listens to", async () => {
    const body = JSON.stringify({
      type: "session.created",
      object: "event",
      data: { id: "sess_1", user_id: "user_1" },
    });
    expect((await POST(svixRequest({ body }))).status).toBe(200);
    expect(vendors.inngest.events.map((event) => event.name)).toEqual(["clerk/session.created"]);
  });

  it("gives a redelivery (same svix-id, new signature time) the same event id", async () => {
    const body = samples.find((s) => s.file === "user.created.json")!.body;
    const msgId = `msg_${randomUUID()}`;
    await POST(svixRequest({ body, msgId, at: new Date(Date.now() - 60_000) }));
    await POST(svixRequest({ body, msgId }));

    const ids = vendors.inngest.events.map((event) => event.id);
    expect(ids).toEqual([`clerk-${msgId}`, `clerk-${msgId}`]);
  });

  describe("rejects with 400 and sends nothing", () => {
    const body = samples.find((s) => s.file === "user.created.json")!.body;
    const cases: [string, () => Request][] = [
      [
        "a tampered body",
        () => svixRequest({ body: body.replace("John", "Mallory"), signedBody: body }),
      ],
      [
        "a signature made with another secret",
        () =>
          svixRequest({ body, signWith: `whsec_${Buffer.from(randomUUID()).toString("base64")}` }),
      ],
      [
        "a timestamp over 5 minutes old",
        () => svixRequest({ body, at: new Date(Date.now() - 5 * 60_000 - 10_000) }),
      ],
      [
        "a timestamp over 5 minutes ahead",
        () => svixRequest({ body, at: new Date(Date.now() + 5 * 60_000 + 10_000) }),
      ],
      ["no svix-id", () => svixRequest({ body, omit: "svix-id" })],
      ["no svix-timestamp", () => svixRequest({ body, omit: "svix-timestamp" })],
      ["no svix-signature", () => svixRequest({ body, omit: "svix-signature" })],
      [
        "a garbled signature",
        () => {
          const request = svixRequest({ body });
          request.headers.set("svix-signature", "v1,not-base64!");
          return request;
        },
      ],
      ["a signed body that is not JSON", () => svixRequest({ body: "user.created for John" })],
      [
        "signed JSON that is not an event",
        () => svixRequest({ body: JSON.stringify({ type: "user.created", data: "John" }) }),
      ],
      ["signed JSON that is an array", () => svixRequest({ body: "[]" })],
      ["an empty body", () => svixRequest({ body: "" })],
    ];

    it.each(cases)("%s", async (_name, request) => {
      const response = await POST(request());
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatch(/Invalid Clerk webhook/);
      expect(sent()).toBe(0);
    });
  });

  describe("body size", () => {
    /** A signed event whose body is exactly `bytes` long. */
    function eventOfSize(bytes: number) {
      const envelope = (padding: string) =>
        JSON.stringify({
          type: "user.updated",
          object: "event",
          data: { id: "user_big", padding },
        });
      return envelope("x".repeat(bytes - envelope("").length));
    }

    it("accepts a body of exactly the limit", async () => {
      const body = eventOfSize(maxWebhookBytes);
      expect(Buffer.byteLength(body)).toBe(maxWebhookBytes);
      expect((await POST(svixRequest({ body }))).status).toBe(200);
      expect(sent()).toBe(1);
    });

    it("answers 413 to a larger body, before verifying it", async () => {
      const response = await POST(svixRequest({ body: eventOfSize(maxWebhookBytes + 1) }));
      expect(response.status).toBe(413);
      expect(sent()).toBe(0);
    });

    it("answers 413 on a declared content-length alone, without reading the body", async () => {
      const request = svixRequest({ body: eventOfSize(1000) });
      request.headers.set("content-length", String(maxWebhookBytes + 1));
      const response = await POST(request);
      expect(response.status).toBe(413);
      expect(request.bodyUsed).toBe(false);
    });

    it("counts the bytes that arrive when the content-length understates them", async () => {
      const body = eventOfSize(maxWebhookBytes * 2);
      const chunks = body.match(/[^]{1,16384}/g)!.map((chunk) => new TextEncoder().encode(chunk));
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const chunk = chunks[pulled++];
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const signed = svixRequest({ body });
      const headers = new Headers(signed.headers);
      headers.set("content-length", "100");
      const request = new Request(clerkWebhookUrl, {
        method: "POST",
        headers,
        body: stream,
        duplex: "half",
      } as RequestInit);

      expect((await POST(request)).status).toBe(413);
      // It stopped reading soon after the limit, not at the end of the stream.
      expect(pulled).toBeLessThan(chunks.length);
      expect(sent()).toBe(0);
    });
  });

  describe("when Inngest cannot take the event", () => {
    const body = samples.find((s) => s.file === "organization.created.json")!.body;

    it("answers 5xx, so Svix delivers it again later", async () => {
      // The SDK retries a failed send up to 5 times; all of them fail here.
      vendors.inngest.failNext("POST", /^\/e\//, { status: 500, times: 5 });
      const response = await POST(svixRequest({ body }));
      expect(response.status).toBe(502);
      expect(vendors.inngest.events).toEqual([]);
    });

    it("still answers 2xx with one event when a retry inside the send succeeds", async () => {
      vendors.inngest.failNext("POST", /^\/e\//, { status: 502 });
      const msgId = `msg_${randomUUID()}`;
      expect((await POST(svixRequest({ body, msgId }))).status).toBe(200);
      expect(vendors.inngest.events.map((event) => event.id)).toEqual([`clerk-${msgId}`]);
    });
  });

  describe("under concurrent deliveries", () => {
    const userCreated = JSON.parse(samples.find((s) => s.file === "user.created.json")!.body);
    const deliveries = (count: number) =>
      Array.from({ length: count }, (_, i) => {
        const msgId = `msg_${randomUUID()}`;
        const body = JSON.stringify({
          ...userCreated,
          data: { ...userCreated.data, id: `user_${i}` },
        });
        return { id: `clerk-${msgId}`, userId: `user_${i}`, request: svixRequest({ body, msgId }) };
      });
    const receivedIds = () => vendors.inngest.events.map((event) => event.id).sort();

    it("queues each event exactly once, in fewer requests than deliveries", async () => {
      const batch = deliveries(40);
      const responses = await Promise.all(batch.map(({ request }) => POST(request)));

      expect(responses.map((response) => response.status)).toEqual(batch.map(() => 200));
      expect(receivedIds()).toEqual(batch.map(({ id }) => id).sort());
      // Deliveries that arrive while a send is out leave together when it returns.
      expect(sent()).toBeLessThan(batch.length);
    });

    it("answers 5xx only for the event Inngest refuses, not for the others sent with it", async () => {
      vendors.inngest.refuseEvents((event) => (event.data as { id?: string }).id === "user_10");
      const batch = deliveries(12);
      const responses = await Promise.all(batch.map(({ request }) => POST(request)));

      const statuses = Object.fromEntries(
        batch.map(({ userId }, i) => [userId, responses[i]!.status]),
      );
      expect(statuses).toEqual(
        Object.fromEntries(batch.map(({ userId }) => [userId, userId === "user_10" ? 502 : 200])),
      );
      // It was refused while sharing a request with others, which were then sent again alone.
      const refusedSizes = vendors.inngest.requests
        .filter((request) => request.status === 400)
        .map((request) => (request.body as unknown[]).length);
      expect(Math.max(...refusedSizes)).toBeGreaterThan(1);
      expect(receivedIds()).toEqual(
        batch
          .filter(({ userId }) => userId !== "user_10")
          .map(({ id }) => id)
          .sort(),
      );
    });

    it("answers 5xx to every delivery while Inngest is down, and queues nothing", async () => {
      vendors.inngest.failNext("POST", /^\/e\//, { status: 500, times: 1000 });
      // The SDK's retries back off for seconds, within the route's 5 s deadline: on a fake clock.
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      const pending = Promise.all(deliveries(8).map(({ request }) => POST(request)));
      await vi.advanceTimersByTimeAsync(5000).finally(() => vi.useRealTimers());
      const responses = await pending;
      // 502 for those Inngest answered in time (with an error), 503 for those it did not.
      for (const response of responses) expect([502, 503]).toContain(response.status);
      expect(vendors.inngest.events).toEqual([]);
    });
  });

  it("answers 503 and sends nothing while CLERK_WEBHOOK_SIGNING_SECRET is unset", async () => {
    const request = svixRequest({ body: samples[0]!.body });
    vi.resetModules();
    vi.stubEnv("CLERK_WEBHOOK_SIGNING_SECRET", "");
    try {
      const route = await import("@/app/api/webhooks/clerk/route");
      const response = await route.POST(request);
      expect(response.status).toBe(503);
      expect((await response.json()).error).toMatch(/CLERK_WEBHOOK_SIGNING_SECRET/);
      expect(sent()).toBe(0);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
