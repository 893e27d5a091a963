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
import { setupVendors } from "@/test/support/vendors";

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
