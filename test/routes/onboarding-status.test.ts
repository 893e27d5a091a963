import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { GET } from "@/app/api/onboarding/status/route";
import { env } from "@/lib/env";
import {
  claimOnboarding,
  progressSteps,
  recordState,
  recordSteps,
} from "@/lib/onboarding/progress";
import {
  foreignKeyPair,
  mintSessionToken,
  sessionHeaders,
  sessionPublicKeyPem,
} from "@/test/support/session";
import { longPoll, statusChange } from "@/lib/onboarding/status-changes";
import { setupVendors } from "@onramp/standins/vitest";

// Any request leaving the process fails the test; Clerk's requests are also checked per call.
const vendors = setupVendors();

const newUserId = () => `user_${randomUUID().replaceAll("-", "")}`;

async function status(headers: HeadersInit = {}, query = "") {
  const response = await GET(
    new Request(`http://localhost:3000/api/onboarding/status${query}`, { headers }),
  );
  // Verified networklessly: no JWKS fetch, nothing sent to any vendor.
  expect(vendors.clerk.requests).toEqual([]);
  return { status: response.status, body: await response.json(), response };
}

describe("GET /api/onboarding/status", () => {
  it("verifies with the test key the app is configured with", () => {
    expect(env.CLERK_JWT_KEY?.trim()).toBe(sessionPublicKeyPem.trim());
  });

  it("answers 401 to a request without a session", async () => {
    const { status: code, body } = await status();
    expect(code).toBe(401);
    expect(body).toEqual({ error: "signed_out" });
  });

  it.each([
    ["forged (signed with another key)", () => ({ privateKey: foreignKeyPair().privateKey })],
    ["expired", () => ({ expiresIn: -30 })],
    ["minted for another origin", () => ({ claims: { azp: "https://evil.example" } })],
    ["a pending session", () => ({ claims: { sts: "pending" } })],
  ])("answers 401 to a token that is %s", async (_, options) => {
    const userId = newUserId();
    await recordState(userId, "running");
    const token = mintSessionToken({ userId, ...options() });
    const { status: code, body } = await status(sessionHeaders(token));
    expect(code).toBe(401);
    expect(JSON.stringify(body)).not.toContain("running");
  });

  it("answers 401 to a token whose payload was altered after signing", async () => {
    const [header, , signature] = mintSessionToken({ userId: newUserId() }).split(".");
    const victim = newUserId();
    await recordState(victim, "running");
    const payload = Buffer.from(
      JSON.stringify({ sub: victim, exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString("base64url");
    const { status: code } = await status(sessionHeaders(`${header}.${payload}.${signature}`));
    expect(code).toBe(401);
  });

  it("answers pending, with every step pending, for a user with no progress yet", async () => {
    const token = mintSessionToken({ userId: newUserId() });
    const { status: code, body, response } = await status(sessionHeaders(token));
    expect(code).toBe(200);
    expect(response.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body).toEqual({
      state: "pending",
      steps: progressSteps.map(({ id, label }) => ({ id, label, status: "pending", at: null })),
    });
  });

  it("answers the signed-in user's own progress, from a bearer token or the session cookie", async () => {
    const userId = newUserId();
    const runId = `01${randomUUID().replaceAll("-", "").slice(0, 24).toUpperCase()}`;
    await claimOnboarding(userId, runId);
    await recordSteps(userId, ["plan", "customer"], "done");
    await recordSteps(userId, "payment-method", "failed", "Your card was declined.");
    await recordState(userId, "payment_failed", {
      reason: "Your card was declined.",
      action: { type: "update_payment_method" },
    });
    const token = mintSessionToken({ userId });

    for (const via of ["bearer", "cookie"] as const) {
      const { status: code, body } = await status(sessionHeaders(token, via));
      expect(code, via).toBe(200);
      expect(body).toMatchObject({
        state: "payment_failed",
        runId,
        reason: "Your card was declined.",
        action: { type: "update_payment_method" },
      });
      const steps = Object.fromEntries(body.steps.map((s: { id: string }) => [s.id, s]));
      expect(steps.plan).toMatchObject({ status: "done", at: expect.any(String) });
      expect(Date.parse(steps.plan.at)).not.toBeNaN();
      expect(steps["payment-method"]).toMatchObject({
        status: "failed",
        reason: "Your card was declined.",
      });
      expect(steps.subscription).toMatchObject({ status: "pending", at: null });
    }
  });

  it("never answers with another user's progress, whatever the request names", async () => {
    const me = newUserId();
    const other = newUserId();
    await recordState(other, "action_required", {
      reason: "Confirm your card",
      action: { type: "confirm_setup", clientSecret: "seti_other_secret_x" },
    });
    const token = mintSessionToken({ userId: me });
    const { status: code, body } = await status(
      { ...sessionHeaders(token), "x-user-id": other },
      `?userId=${other}&user_id=${other}`,
    );
    expect(code).toBe(200);
    expect(body.state).toBe("pending");
    expect(JSON.stringify(body)).not.toContain("seti_other");
  });

  describe("conditional requests and long polls", () => {
    /** A signed-in user part-way through, and the ETag of what the endpoint says now. */
    async function userMidway() {
      const userId = newUserId();
      await recordState(userId, "running");
      await recordSteps(userId, "plan", "done");
      const headers = sessionHeaders(mintSessionToken({ userId }));
      const first = await status(headers);
      return { userId, headers, etag: first.response.headers.get("etag")! };
    }

    const bare = (headers: HeadersInit, query: string, signal?: AbortSignal) =>
      GET(new Request(`http://localhost:3000/api/onboarding/status${query}`, { headers, signal }));

    it("answers 304 to If-None-Match while the status is unchanged, and 200 with a new ETag once it changes", async () => {
      const { userId, headers, etag } = await userMidway();
      const unchanged = await bare({ ...headers, "if-none-match": etag }, "");
      expect(unchanged.status).toBe(304);
      expect(unchanged.headers.get("etag")).toBe(etag);
      expect(unchanged.headers.get("cache-control")).toBe("no-store");
      expect(await unchanged.text()).toBe("");

      await recordSteps(userId, "customer", "running");
      const changed = await bare({ ...headers, "if-none-match": `W/${etag}, "other"` }, "");
      expect(changed.status).toBe(200);
      expect(changed.headers.get("etag")).not.toBe(etag);
      expect((await changed.json()).steps[1]).toMatchObject({ id: "customer", status: "running" });
    });

    it("holds ?wait=<etag> until the status changes, then answers with it", async () => {
      const { userId, headers, etag } = await userMidway();
      let settled = false;
      const held = bare(headers, `?wait=${encodeURIComponent(etag)}`).finally(
        () => (settled = true),
      );
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(settled).toBe(false);

      await recordSteps(userId, "customer", "done");
      const response = await held;
      expect(response.status).toBe(200);
      expect(response.headers.get("etag")).not.toBe(etag);
      const body = await response.json();
      expect(body.steps[1]).toMatchObject({ id: "customer", status: "done" });
    });

    it("answers ?wait= at once when the status already differs, or the ETag is unquoted or unknown", async () => {
      const { userId, headers, etag } = await userMidway();
      await recordState(userId, "payment_failed", { reason: "Your card was declined." });
      for (const wait of [etag, etag.replaceAll('"', ""), "", "nonsense"]) {
        const response = await bare(headers, `?wait=${encodeURIComponent(wait)}`);
        expect(response.status, wait).toBe(200);
        expect((await response.json()).state).toBe("payment_failed");
      }
    });

    it("ends a held request with 304 when the client goes away", async () => {
      const { headers, etag } = await userMidway();
      const client = new AbortController();
      setTimeout(() => client.abort(), 300);
      const response = await bare(headers, `?wait=${encodeURIComponent(etag)}`, client.signal);
      expect(response.status).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
    });

    it("answers a held request with 304 after its wait, when nothing changed", async () => {
      const { userId, etag } = await userMidway();
      const before = Date.now();
      const outcome = await statusChange(userId, {
        seen: [etag],
        wait: true,
        schedule: { ...longPoll, holdMs: 700 },
      });
      expect(outcome).toMatchObject({ changed: false, etag });
      expect(Date.now() - before).toBeGreaterThanOrEqual(700);
    });

    it("answers ?wait= with 401 at once when signed out", async () => {
      const response = await bare({}, `?wait=${encodeURIComponent('"abc"')}`);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: "signed_out" });
    });
  });

  it("answers 401, not an error, while Clerk is not configured (zero-account dev)", async () => {
    const token = mintSessionToken({ userId: newUserId() });
    vi.resetModules();
    vi.stubEnv("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "");
    vi.stubEnv("CLERK_SECRET_KEY", "");
    try {
      const route = await import("@/app/api/onboarding/status/route");
      const response = await route.GET(
        new Request("http://localhost:3000/api/onboarding/status", {
          headers: sessionHeaders(token),
        }),
      );
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: "signed_out" });
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
