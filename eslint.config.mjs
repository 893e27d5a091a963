import inngest from "@inngest/eslint-plugin";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

/** What a layer may not import: each imports only the layers below it (ARCHITECTURE.md). */
const above = {
  lib: [
    "@/app/*",
    "@/inngest/*",
    "@/scripts/*",
    "@onramp/standins",
    "@onramp/standins/*",
    "@/test/*",
    "@/bench/*",
  ],
  inngest: [
    "@/app/*",
    "@/scripts/*",
    "@onramp/standins",
    "@onramp/standins/*",
    "@/test/*",
    "@/bench/*",
  ],
  app: ["@/scripts/*", "@onramp/standins", "@onramp/standins/*", "@/test/*", "@/bench/*"],
};
const layer = (folder, forbidden) => ({
  files: [`${folder}/**/*.{ts,tsx}`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: forbidden,
            message: `${folder}/ imports only the layers below it (see ARCHITECTURE.md).`,
          },
        ],
      },
    ],
  },
});

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
  layer("lib", above.lib),
  layer("inngest", above.inngest),
  layer("app", above.app),
  { ignores: [".next/**", ".data/**", "node_modules/**", "lib/db/migrations/**", "next-env.d.ts"] },
];

export default config;
