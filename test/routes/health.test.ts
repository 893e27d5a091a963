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
    expect(body).toEqual({ status: "ok" });
  });

  it("answers 503 and nothing else when the database is unreachable; the log has why", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line) => void lines.push(String(line)));
    const { status, body } = await healthWith("postgres://onramp:s3cret@127.0.0.1:1/onramp");
    vi.restoreAllMocks();

    expect(status).toBe(503);
    // No driver message, host or database user for the public.
    expect(body).toEqual({ status: "unavailable" });
    const [line] = lines.map((text) => JSON.parse(text));
    expect(line).toMatchObject({
      level: "error",
      msg: "health check: the database did not answer",
      reason: expect.stringMatching(/ECONNREFUSED 127\.0\.0\.1:1/),
    });
    expect(lines.join("\n")).not.toContain("s3cret");
  });
});
