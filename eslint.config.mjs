import inngest from "@inngest/eslint-plugin";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

/**
 * What a layer may not import: each imports only the layers below it (ARCHITECTURE.md). Paths are
 * resolved, so `@/inngest/client`, `../../inngest/client` and a stand-in package's export
 * (`packages/`) are caught alike.
 */
const tooling = ["./scripts", "./test", "./bench", "./packages"];
const above = {
  lib: ["./app", "./inngest", ...tooling],
  inngest: ["./app", ...tooling],
  app: tooling,
};
const layers = {
  files: ["{app,inngest,lib}/**/*.{ts,tsx}"],
  rules: {
    "import/no-restricted-paths": [
      "error",
      {
        zones: Object.entries(above).map(([folder, forbidden]) => ({
          target: `./${folder}`,
          from: forbidden,
          message: `${folder}/ imports only the layers below it (see ARCHITECTURE.md).`,
        })),
      },
    ],
  },
};

const config = [
  ...nextVitals,
  ...nextTypescript,
  {
    // Production code only: the rules match any `.send(`, which the test simulators also have.
    files: ["{app,inngest,lib,scripts}/**/*.{ts,tsx}"],
    plugins: { "@inngest": inngest },
    rules: {
      "@inngest/await-inngest-send": "error",
      "@inngest/no-nested-steps": "error",
      "@inngest/no-variable-mutation-in-step": "error",
    },
  },
  {
    // Server code logs through lib/logger.ts (JSON lines, context, secrets redacted). The only
    // exceptions, each marked where it is: the logger's own sink, and lib/startup.ts's message for
    // an environment that failed validation.
    files: ["app/**", "lib/**", "inngest/**", "proxy.ts", "instrumentation.ts"],
    rules: { "no-console": "error" },
  },
  layers,
  { ignores: [".next/**", ".data/**", "node_modules/**", "lib/db/migrations/**", "next-env.d.ts"] },
];

export default config;
