import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER, PHASE_PRODUCTION_BUILD } from "next/constants";

/**
 * What every response carries, pages, routes and files alike. No page may be framed (the card
 * form, the seats page and "Manage billing" would be clickjacking targets): CSP `frame-ancestors`,
 * and X-Frame-Options for browsers without it. The CSP holds only directives that cannot break
 * Clerk or Stripe.js; restricting where scripts, frames and requests go is for a later CSP
 * (docs/deploying.md). HSTS only where the server is built to be deployed: on a developer's
 * `localhost` over HTTPS it would stick for two years.
 */
function securityHeaders(phase: string) {
  return [
    {
      key: "Content-Security-Policy",
      value: "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
    },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    ...(phase === PHASE_DEVELOPMENT_SERVER
      ? []
      : [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }]),
  ];
}

export default function nextConfig(phase: string): NextConfig {
  return {
    // PGlite loads its WebAssembly and data files from its own package directory at run time.
    serverExternalPackages: ["@electric-sql/pglite"],
    // The embedded database migrates itself on first use, so the migrations ship with the server.
    outputFileTracingIncludes: { "/**": ["./lib/db/migrations/**/*"] },
    poweredByHeader: false,
    headers: async () => [{ source: "/:path*", headers: securityHeaders(phase) }],
    // Inlined where the code reads it (lib/env.ts): a built server knows it is one.
    env: { ONRAMP_NEXT_BUILD: phase === PHASE_PRODUCTION_BUILD ? "1" : "" },
  };
}
