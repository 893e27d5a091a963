import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite loads its WebAssembly and data files from its own package directory at run time.
  serverExternalPackages: ["@electric-sql/pglite"],
  // The embedded database migrates itself on first use, so the migrations ship with the server.
  outputFileTracingIncludes: { "/**": ["./lib/db/migrations/**/*"] },
};

export default nextConfig;
