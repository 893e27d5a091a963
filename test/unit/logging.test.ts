import { InngestTestEngine } from "@inngest/test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inngest } from "@/inngest/client";
import { userCreated } from "@/inngest/events";
import { subjectOf } from "@/inngest/middleware/log-context";
import { createLogger } from "@/lib/logger";
import { captureLogs } from "@/test/support/logs";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("structured logs", () => {
  it("put the function, run, user and step on every line a workflow writes", async () => {
    const lines = captureLogs();
    const greet = inngest.createFunction(
      { id: "log-probe", triggers: [userCreated] },
      async ({ event, step, logger }) => {
        logger.info("starting", { tier: "pro" });
        await step.run("say-hello", () => {
          logger.info("inside the step");
          return event.data.id;
        });
        await step.run("fail-once", () => {
          throw new Error("Stripe answered 503");
        });
      },
    );
    const engine = new InngestTestEngine({ function: greet });
    await engine.execute({
      events: [
        {
          name: "clerk/user.created",
          data: { id: "user_log1", unsafe_metadata: { confirmationToken: "ctoken_secret" } },
        },
      ],
    });

    expect(lines.length).toBeGreaterThanOrEqual(4);
    // @inngest/test gives each execution its own run id; Inngest keeps one per run.
    for (const line of lines) expect(line.runID).toEqual(expect.any(String));
    // Every line names the function and the user, the SDK's own error lines included.
    for (const line of lines) {
      expect(line).toMatchObject({ fn: expect.stringContaining("log-probe"), userId: "user_log1" });
    }
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "Inngest step error", step: "fail-once" }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: "starting", tier: "pro" }));
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "inside the step", step: "say-hello" }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "step failed",
        step: "fail-once",
        userId: "user_log1",
        error: expect.objectContaining({ message: "Stripe answered 503" }),
      }),
    );
    expect(JSON.stringify(lines)).not.toContain("ctoken_secret");
  });

  it("never writes secrets, whatever key they hide under", () => {
    const lines: string[] = [];
    const log = createLogger({}, (_level, line) => lines.push(line));
    log.info("calling Stripe", {
      stripeSecretKey: "sk_live_123",
      headers: { Authorization: "Bearer eyJ…", "svix-signature": "v1,abc" },
      confirmationToken: "ctoken_1",
      customer: "cus_1",
    });
    const line = JSON.parse(lines[0]!);
    expect(line.customer).toBe("cus_1");
    expect(lines[0]).not.toMatch(/sk_live_123|eyJ|v1,abc|ctoken_1/);
  });

  it("never writes values that look like secrets, in messages, fields or errors", () => {
    const lines: string[] = [];
    const log = createLogger({}, (_level, line) => lines.push(line));
    const secrets = {
      stripeKey: "sk_live_51HxAbCdEfGh",
      restrictedKey: "rk_test_51HxAbCdEfGh",
      clerkKey: "sk_test_ClerkSecret123",
      webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      signingKey: "signkey-prod-0123456789abcdef",
      hashedSigningKey: "signkey-test-fedcba9876543210",
      resendKey: "re_123456789_AbCdEfGhIjKl",
      bearer: "opaque-token-value-1234",
      jwt: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJl",
      clientSecret: "seti_1Nabc_secret_Qxyz123",
      dbPassword: "s3cr3t-pa55",
    };
    log.error(`Invalid API Key provided: ${secrets.stripeKey}`, {
      detail: `key ${secrets.restrictedKey} and ${secrets.clerkKey}`,
      nested: { list: [secrets.webhookSecret, `Bearer ${secrets.hashedSigningKey}`] },
      config: `INNGEST_SIGNING_KEY=${secrets.signingKey} RESEND=${secrets.resendKey}`,
      request: `GET / with Authorization: Bearer ${secrets.bearer}`,
      session: secrets.jwt,
      setup: secrets.clientSecret,
    });
    log.error(
      "query failed",
      new Error("Failed query: select 1", {
        cause: new Error(
          `connect ECONNREFUSED postgres://onramp:${secrets.dbPassword}@db:5432/app`,
        ),
      }),
    );

    const leaked = Object.entries(secrets).filter(([, value]) => lines.join("\n").includes(value));
    expect(leaked.map(([name]) => name)).toEqual([]);
    // What is not secret stays, so the line is still useful.
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first.msg).toBe("Invalid API Key provided: sk_live_[redacted]");
    expect(first.request).toBe("GET / with Authorization: Bearer [redacted]");
    // An error's cause is kept (the detail an operator needs), redacted like the rest.
    expect(second.error).toEqual({
      name: "Error",
      message: "Failed query: select 1",
      cause: {
        name: "Error",
        message: "connect ECONNREFUSED postgres://onramp:[redacted]@db:5432/app",
      },
    });
  });

  it("keeps console.* out of app/, lib/ and inngest/ with a lint rule", async () => {
    const { ESLint } = await import("eslint");
    const eslint = new ESLint();
    for (const file of ["lib/probe.ts", "app/api/probe/route.ts", "inngest/functions/probe.ts"]) {
      const [result] = await eslint.lintText('export const probe = () => console.log("x");\n', {
        filePath: file,
      });
      expect(result!.messages.map((message) => message.ruleId)).toContain("no-console");
    }
  });

  it("finds the subject of every kind of event onramp handles", () => {
    expect(subjectOf({ id: "user_1" })).toEqual({ userId: "user_1" });
    expect(subjectOf({ id: "org_1" })).toEqual({ orgId: "org_1" });
    expect(subjectOf({ userId: "user_2", tier: "pro" })).toEqual({ userId: "user_2" });
    expect(
      subjectOf({
        id: "orgmem_1",
        organization: { id: "org_2" },
        public_user_data: { user_id: "user_3" },
      }),
    ).toEqual({
      orgId: "org_2",
      userId: "user_3",
    });
    expect(subjectOf({ id: "sub_1", object: "subscription", customer: "cus_1" })).toEqual({
      stripeCustomerId: "cus_1",
      stripeObjectId: "sub_1",
    });
  });
});
