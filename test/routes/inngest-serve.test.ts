import { NextRequest } from "next/server";
import { describe, expect, it, vi } from "vitest";
import { PUT } from "@/app/api/inngest/route";
import { functions } from "@/inngest";
import { setupVendors } from "@onramp/standins/vitest";

const vendors = setupVendors();
const serveUrl = "http://localhost:3000/api/inngest";

interface RegisteredFunction {
  id: string;
  name: string;
  triggers: { event?: string; expression?: string; cron?: string }[];
  steps: Record<string, { runtime: { url: string } }>;
  idempotency?: string;
  concurrency?: unknown;
  throttle?: unknown;
  rateLimit?: unknown;
  debounce?: unknown;
  priority?: unknown;
  cancel?: { event: string; if?: string; timeout?: string }[];
}

type FunctionOptions = Record<string, unknown> & {
  triggers?: unknown;
  cancelOn?: { event: unknown }[];
};

/** What a function's options say it is triggered by, in the shape Inngest registers. */
function triggersOf(opts: FunctionOptions) {
  const list = [opts.triggers ?? []].flat() as Record<string, unknown>[];
  return list.map((trigger) => {
    if (typeof trigger.cron === "string") return { cron: trigger.cron };
    const event = trigger.event ?? trigger;
    const name = typeof event === "string" ? event : (event as { name: string }).name;
    return trigger.if ? { event: name, expression: trigger.if } : { event: name };
  });
}

const eventNameOf = (event: unknown) =>
  typeof event === "string" ? event : (event as { name: string }).name;

async function register() {
  const response = await PUT(new NextRequest(serveUrl, { method: "PUT" }), undefined);
  expect(response.status).toBe(200);
  expect(vendors.inngest.registrations).toHaveLength(1);
  const [registration] = vendors.inngest.registrations;
  return {
    registration,
    byId: new Map<string, RegisteredFunction>(
      registration.functions.map((fn: RegisteredFunction) => [fn.id, fn]),
    ),
  };
}

describe("PUT /api/inngest", () => {
  it("registers the app at the serve URL with every function in inngest/index.ts", async () => {
    const { registration, byId } = await register();

    expect(registration).toMatchObject({ url: serveUrl, appName: "onramp", framework: "nextjs" });
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const registered = byId.get(fn.id("onramp"));
      expect(registered, `${fn.id()} is registered`).toBeDefined();
      const opts = fn.opts as unknown as FunctionOptions;

      expect(registered!.triggers).toEqual(triggersOf(opts));
      for (const step of Object.values(registered!.steps))
        expect(step.runtime.url).toMatch(new RegExp(`^${serveUrl}\\?fnId=${fn.id("onramp")}&`));
      // Flow control goes to Inngest exactly as configured (cancelOn is registered as `cancel`).
      for (const key of [
        "idempotency",
        "concurrency",
        "throttle",
        "rateLimit",
        "debounce",
        "priority",
      ] as const)
        expect(registered![key], `${fn.id()} ${key}`).toEqual(opts[key]);
      expect((registered!.cancel ?? []).map((c) => c.event)).toEqual(
        (opts.cancelOn ?? []).map((c) => eventNameOf(c.event)),
      );
    }
  });

  it("registers at APP_URL in dev mode too, never at the Host a request claims", async () => {
    // Dev mode (INNGEST_DEV=1, as under `npm run dev`) accepts an unsigned sync: a forged Host
    // must not point every later run (and its payload) at someone else's server.
    const forged = "http://evil.example:3000/api/inngest";
    const response = await PUT(
      new NextRequest(forged, { method: "PUT", headers: { host: "evil.example:3000" } }),
      undefined,
    );
    expect(response.status).toBe(200);
    const [registration] = vendors.inngest.registrations;
    expect(registration).toMatchObject({ url: serveUrl });
    expect(JSON.stringify(registration)).not.toContain("evil.example");
  });

  it("registers at INNGEST_SERVE_ORIGIN when Inngest reaches the app elsewhere (a container)", async () => {
    vi.stubEnv("INNGEST_SERVE_ORIGIN", "http://host.docker.internal:3000");
    vi.resetModules();
    try {
      const route = await import("@/app/api/inngest/route");
      const response = await route.PUT(new NextRequest(serveUrl, { method: "PUT" }), undefined);
      expect(response.status).toBe(200);
      expect(vendors.inngest.registrations[0]).toMatchObject({
        url: "http://host.docker.internal:3000/api/inngest",
      });
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it("registers the ingress functions with their triggers and flow control", async () => {
    const { byId } = await register();

    expect(byId.get("onramp-sync-user")).toMatchObject({
      triggers: [{ event: "clerk/user.created" }, { event: "clerk/user.updated" }],
    });
    // Deletions end billing, one run per user at a time; the reconciler runs on its schedule.
    expect(byId.get("onramp-close-deleted-user")).toMatchObject({
      triggers: [{ event: "clerk/user.deleted" }],
      concurrency: { key: "event.data.id", limit: 1 },
    });
    expect(byId.get("onramp-close-deleted-organization")).toMatchObject({
      triggers: [{ event: "clerk/organization.deleted" }],
      concurrency: { key: "event.data.id", limit: 1 },
    });
    expect(byId.get("onramp-reconcile-billing")).toMatchObject({
      triggers: [{ cron: "0 * * * *" }],
      concurrency: { limit: 1 },
    });
    expect(byId.get("onramp-create-organization-customer")).toMatchObject({
      triggers: [{ event: "clerk/organization.created" }],
      idempotency: "event.data.id",
      throttle: { limit: 100, period: "10s" },
    });
    expect(byId.get("onramp-sync-subscription")).toMatchObject({
      triggers: [
        { event: "stripe/customer.subscription.created" },
        { event: "stripe/customer.subscription.updated" },
        { event: "stripe/customer.subscription.deleted" },
      ],
      concurrency: { key: "event.data.id", limit: 1 },
      throttle: { limit: 25, period: "1s" },
    });
    // None of them may be skipped per entity: a second user.updated must run.
    expect(byId.get("onramp-sync-user")!.idempotency).toBeUndefined();
    expect(byId.get("onramp-sync-subscription")!.idempotency).toBeUndefined();
  });
});
