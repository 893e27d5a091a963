import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTypescript,
  {
    // Server code logs through lib/logger.ts (JSON lines, context, secrets redacted). The only
    // exceptions, each marked where it is: the logger's own sink, and lib/startup.ts's message for
    // an environment that failed validation.
    files: ["app/**", "lib/**", "inngest/**", "proxy.ts", "instrumentation.ts"],
    rules: { "no-console": "error" },
  },
  { ignores: [".next/**", ".data/**", "node_modules/**", "lib/db/migrations/**", "next-env.d.ts"] },
];

export default config;
