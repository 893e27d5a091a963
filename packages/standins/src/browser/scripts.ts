import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * The simulated clerk-js and Stripe.js are TypeScript browser scripts (clerk-js.ts,
 * stripe-js.ts beside this file), compiled here once, to run before any script of the page.
 */
const compile = (file: string) =>
  ts.transpileModule(readFileSync(path.join(import.meta.dirname, file), "utf8"), {
    compilerOptions: { target: ts.ScriptTarget.ES2022 },
  }).outputText;

let compiled: { clerk: string; stripe: string } | undefined;

export function simulatedSdks(): { clerk: string; stripe: string } {
  compiled ??= { clerk: compile("clerk-js.ts"), stripe: compile("stripe-js.ts") };
  return compiled;
}

/**
 * What the simulated SDKs call their vendor through (`__onrampClerk`, `__onrampStripe`) when no
 * Playwright binding provides it: a POST of `{ op, payload }` to the stand-ins' server, as
 * text/plain so the browser sends it without a preflight.
 */
export function httpBridge(standinsUrl: string): string {
  const call = (vendor: string) =>
    `(op, payload) => fetch(${JSON.stringify(`${standinsUrl}/frontend/${vendor}`)}, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ op, payload }) }).then((response) => response.json())`;
  return `window.__onrampClerk = ${call("clerk")};\nwindow.__onrampStripe = ${call("stripe")};\n`;
}
