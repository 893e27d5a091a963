import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/** The rule ids ESLint reports for `source` as if it were the file at `filePath`. */
async function ruleIds(filePath: string, source: string): Promise<string[]> {
  const [result] = await new ESLint().lintText(source, { filePath });
  return result!.messages.map((message) => message.ruleId ?? message.message);
}

describe("layers (ARCHITECTURE.md): each imports only the layers below it", () => {
  const refused = [
    ["lib/probe.ts", 'import { inngest } from "../inngest/client";'],
    ["lib/billing/probe.ts", 'import { inngest } from "@/inngest/client";'],
    ["lib/probe.ts", 'import { GET } from "../app/api/health/route";'],
    ["inngest/functions/probe.ts", 'import { GET } from "../../app/api/health/route";'],
    ["app/api/probe/route.ts", 'import { InngestSim } from "@onramp/standins/inngest";'],
    ["lib/probe.ts", 'import { setupVendors } from "../packages/standins/src/vitest";'],
    ["inngest/probe.ts", 'import { sessionToken } from "../test/support/session";'],
  ] as const;
  it.each(refused)("refuses, in %s: %s", async (filePath, line) => {
    expect(await ruleIds(filePath, `${line}\nexport const probe = 1;\n`)).toContain(
      "import/no-restricted-paths",
    );
  });

  it("lets a layer import what is below it, by alias or relative path", async () => {
    for (const [filePath, line] of [
      ["inngest/probe.ts", 'import { env } from "../lib/env";'],
      ["app/api/probe/route.ts", 'import { inngest } from "@/inngest/client";'],
      ["lib/billing/probe.ts", 'import { env } from "../env";'],
    ]) {
      expect(await ruleIds(filePath!, `${line}\nexport const probe = 1;\n`)).not.toContain(
        "import/no-restricted-paths",
      );
    }
  });
});
