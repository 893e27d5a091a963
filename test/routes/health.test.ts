import { afterEach, describe, expect, it, vi } from "vitest";

async function healthWith(databaseUrl: string) {
  vi.resetModules();
  vi.stubEnv("DATABASE_URL", databaseUrl);
  const { GET } = await import("@/app/api/health/route");
  const response = await GET();
  return { status: response.status, body: await response.json() };
}

afterEach(async () => {
  const { closeConnection } = await import("@/lib/db/client");
  await closeConnection();
  vi.unstubAllEnvs();
});

describe("GET /api/health", () => {
  it("answers 200 when the database answers", async () => {
    const { status, body } = await healthWith("pglite:memory://");
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok", database: { ok: true, driver: "pglite" } });
  });

  it("answers 503 with a reason, and no credentials, when the database is unreachable", async () => {
    const { status, body } = await healthWith("postgres://onramp:s3cret@127.0.0.1:1/onramp");
    expect(status).toBe(503);
    expect(body.status).toBe("unavailable");
    expect(body.database.reason).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(body)).not.toContain("s3cret");
  });
});
