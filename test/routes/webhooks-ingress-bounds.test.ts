import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { POST } from "@/app/api/webhooks/clerk/route";
import { sendEventsWithin } from "@/inngest/client";
import {
  coalescedSend,
  QueueUnavailableError,
  type CoalescedSendLimits,
} from "@/lib/webhooks/coalesced-send";
import { receiveClerkWebhook } from "@/lib/webhooks/clerk";
import type { ForwardedEvent } from "@/lib/webhooks/ingress";
import { setupVendors } from "@onramp/standins/vitest";
import { clerkDelivery } from "@/test/support/webhooks";
import { contractPath } from "@onramp/standins/contracts";

/**
 * The webhook ingress under a slow, hung or failing Inngest (issue 15): a delivery never waits
 * long for Inngest, the queue has a bound, and a failed shared request is resent a few events
 * at a time. Every 2xx is an event Inngest accepted; every refusal is redelivered by the sender
 * under the same event id, so an event that did reach Inngest before the refusal is kept once.
 * Each test drives the real SDK through the app's Inngest client (its fetch is what gets aborted)
 * against the Inngest stand-in.
 */

const vendors = setupVendors();
afterEach(() => {
  vendors.inngest.release();
  expect(vendors.inngest.violations).toEqual([]);
});

const sample = JSON.parse(readFileSync(contractPath("clerk-webhooks/user.created.json"), "utf8"));

/** `count` deliveries of distinct users, each with its svix-id; `again()` is its redelivery. */
function deliveries(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const msgId = `msg_${randomUUID()}`;
    const body = JSON.stringify({ ...sample, data: { ...sample.data, id: `user_b${i}` } });
    return {
      id: `clerk-${msgId}`,
      request: () => clerkDelivery(body, { msgId }),
    };
  });
}

/** The ingress as the route builds it, with limits small enough to reach in a test. */
function ingress(limits: Partial<CoalescedSendLimits> = {}) {
  const queue = coalescedSend(
    (events: ForwardedEvent[], signal) => sendEventsWithin(signal, events),
    {
      maxInFlight: 1,
      maxEvents: 100,
      maxBytes: 250_000,
      maxQueuedEvents: 100,
      maxQueuedBytes: 10_000_000,
      deadlineMs: 400,
      resendConcurrency: 2,
      retryAfterSeconds: 30,
      ...limits,
    },
  );
  return (request: Request) => receiveClerkWebhook(request, queue);
}

const received = () => vendors.inngest.events.map((event) => event.id);

describe("the webhook ingress when Inngest misbehaves", () => {
  it("a hung Inngest: the route answers 503 with Retry-After by its deadline, and drops the connection", async () => {
    vendors.inngest.hang();
    const batch = deliveries(3);

    // The app's own route and limits (5 s): without the deadline this would hang with Inngest.
    const responses = await Promise.all(batch.map((delivery) => POST(delivery.request())));

    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("30");
      expect(await response.json()).toEqual({ error: "The event queue is busy; retry later" });
    }
    // The hung requests were given up, not left open; Inngest took nothing.
    await expect.poll(() => vendors.inngest.hangingRequests).toBe(0);
    expect(vendors.inngest.abandonedRequests).toBeGreaterThan(0);
    expect(received()).toEqual([]);

    // Once Inngest answers again, Svix's redeliveries go through, each event once.
    vendors.inngest.release();
    const redelivered = await Promise.all(batch.map((delivery) => POST(delivery.request())));
    expect(redelivered.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(received().sort()).toEqual(batch.map(({ id }) => id).sort());
  }, 30_000);

  it("a slow Inngest: 503 past the deadline; the events it took anyway keep their ids, so a redelivery is the same event", async () => {
    const send = ingress({ deadlineMs: 200 });
    vendors.inngest.answerAfter(600);
    const batch = deliveries(4);

    const responses = await Promise.all(batch.map((delivery) => send(delivery.request())));
    expect(responses.map((response) => response.status)).toEqual([503, 503, 503, 503]);

    // The requests had reached Inngest, which answered after the app stopped waiting.
    await expect.poll(() => vendors.inngest.openRequests, { timeout: 5000 }).toBe(0);
    const tookLate = new Set(received());
    expect(tookLate.size).toBeGreaterThan(0);

    vendors.inngest.answerAfter(0);
    const redelivered = await Promise.all(batch.map((delivery) => send(delivery.request())));
    expect(redelivered.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    // Every event Inngest saw carries its webhook's id: what it took late and again is one event.
    expect(new Set(received())).toEqual(new Set(batch.map(({ id }) => id)));
    for (const id of tookLate) expect(batch.map((d) => d.id)).toContain(id);
  });

  it("an outage: every delivery during it gets a 5xx and nothing is queued; after it, each is queued once", async () => {
    const send = ingress();
    vendors.inngest.failFor(1500, 503);
    const batch = deliveries(6);

    const during = await Promise.all(batch.map((delivery) => send(delivery.request())));
    for (const response of during) expect([502, 503]).toContain(response.status);
    expect(received()).toEqual([]);

    await expect
      .poll(async () => (await send(batch[0]!.request())).status, { timeout: 5000, interval: 200 })
      .toBe(200);
    const after = await Promise.all(batch.slice(1).map((delivery) => send(delivery.request())));
    expect(after.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(received().sort()).toEqual(batch.map(({ id }) => id).sort());
  });

  it("a full queue answers 503 at once and sends nothing for what it refused; what it took is queued", async () => {
    const send = ingress({ maxQueuedEvents: 3, deadlineMs: 10_000 });
    vendors.inngest.hang();
    const batch = deliveries(8);

    // The first goes out (and hangs); the next 3 wait; the rest find the queue full.
    const taken = [send(batch[0]!.request())];
    await expect.poll(() => vendors.inngest.hangingRequests).toBe(1);
    taken.push(...batch.slice(1, 4).map((delivery) => send(delivery.request())));
    const refused = await Promise.all(batch.slice(4).map((delivery) => send(delivery.request())));

    // Answered while Inngest still hangs: the refusal does not wait for it.
    expect(vendors.inngest.hangingRequests).toBe(1);
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("30");
    }

    vendors.inngest.release();
    expect((await Promise.all(taken)).map((response) => response.status)).toEqual([
      200, 200, 200, 200,
    ]);
    expect(received().sort()).toEqual(
      batch
        .slice(0, 4)
        .map(({ id }) => id)
        .sort(),
    );
  });

  it("a shared request Inngest refuses is resent one event at a time, at most `resendConcurrency` at once", async () => {
    // The SDK retries the refused request itself (about 1.5 s) before the app splits it.
    const send = ingress({ maxInFlight: 1, resendConcurrency: 2, deadlineMs: 10_000 });
    const batch = deliveries(10);
    vendors.inngest.refuseEvents((event) => (event.data as { id?: string }).id === "user_b7");
    // Slow enough that requests overlap whenever the app sends them together.
    vendors.inngest.answerAfter(20);
    // One delivery first, so the other nine leave together when it returns.
    const first = send(batch[0]!.request());
    const rest = batch.slice(1).map((delivery) => send(delivery.request()));
    const statuses = (await Promise.all([first, ...rest])).map((response) => response.status);

    expect(statuses).toEqual(batch.map((_, i) => (i === 7 ? 502 : 200)));
    expect(vendors.inngest.maxConcurrentRequests).toBe(2);
    // Refused shared, then alone (and retried alone by the SDK): only the bad event was refused alone.
    const refused = vendors.inngest.requests
      .filter((request) => request.status === 400)
      .map((request) => (request.body as { id: string }[]).map((event) => event.id));
    expect(Math.max(...refused.map((ids) => ids.length))).toBe(9);
    expect(new Set(refused.filter((ids) => ids.length === 1).flat())).toEqual(
      new Set([batch[7]!.id]),
    );
    expect(received().sort()).toEqual(
      batch
        .filter((_, i) => i !== 7)
        .map(({ id }) => id)
        .sort(),
    );
  });

  it("refuses with QueueUnavailableError, never leaving a caller waiting past its deadline", async () => {
    const queue = coalescedSend<string>(() => new Promise(() => {}), {
      maxInFlight: 1,
      maxEvents: 10,
      maxBytes: 1000,
      maxQueuedEvents: 1,
      maxQueuedBytes: 1000,
      deadlineMs: 50,
      resendConcurrency: 1,
      retryAfterSeconds: 7,
    });
    const results = await Promise.allSettled([queue("a", 1), queue("b", 1), queue("c", 1)]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
    const reasons = results.map((result) => (result as PromiseRejectedResult).reason);
    for (const reason of reasons) expect(reason).toBeInstanceOf(QueueUnavailableError);
    expect(reasons.map((reason: QueueUnavailableError) => reason.reason)).toEqual([
      "timeout", // sent, and never answered
      "timeout", // waited in the queue until its deadline
      "full", // the queue held one already
    ]);
    expect(reasons[0].retryAfterSeconds).toBe(7);
  });
});
