import { PHASE_DEVELOPMENT_SERVER, PHASE_PRODUCTION_SERVER } from "next/constants";
import { describe, expect, it } from "vitest";
import nextConfig from "@/next.config";

// What next.config.ts tells Next to send with every response (issue 22); the browser suite checks
// them on every page, route and file of `next start`, and that Chromium then refuses to frame
// the card form.

async function headersFor(phase: string) {
  const config = nextConfig(phase);
  const rules = await config.headers!();
  return { config, rules };
}

describe("security headers (next.config.ts)", () => {
  it("applies one rule to every path: pages, routes, files", async () => {
    const { rules } = await headersFor(PHASE_PRODUCTION_SERVER);
    expect(rules.map((rule) => rule.source)).toEqual(["/:path*"]);
  });

  it("refuses framing, sniffing and X-Powered-By, and asks for HTTPS when deployed", async () => {
    const { config, rules } = await headersFor(PHASE_PRODUCTION_SERVER);
    const headers = Object.fromEntries(rules[0]!.headers.map(({ key, value }) => [key, value]));
    expect(headers["Content-Security-Policy"]).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
    expect(headers["X-Frame-Options"]).toBe("DENY");
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["Strict-Transport-Security"]).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
    expect(config.poweredByHeader).toBe(false);
  });

  it("sends no HSTS from `next dev`, which a browser would remember for localhost", async () => {
    const { rules } = await headersFor(PHASE_DEVELOPMENT_SERVER);
    const keys = rules[0]!.headers.map(({ key }) => key);
    expect(keys).toContain("Content-Security-Policy");
    expect(keys).not.toContain("Strict-Transport-Security");
  });
});
