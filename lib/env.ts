import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

/**
 * The only place that reads process.env. Server variables are validated when the server starts
 * (see instrumentation.ts), so one build runs anywhere; only NEXT_PUBLIC_* are inlined at build.
 */

const prefixed = (prefixes: string[], what: string) =>
  z.string().refine((value) => prefixes.some((prefix) => value.startsWith(prefix)), {
    message: `${what}, starting with ${prefixes.map((p) => `"${p}"`).join(" or ")}`,
  });

const url = (what: string) =>
  z.url({
    protocol: /^https?$/,
    message: `${what}: an absolute http(s) URL such as https://host:port`,
  });

/** A duration in the form Inngest's step.sleep accepts ("30s", "15m", "3d"). */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d|w)$/, { message: 'a duration such as "30s", "15m", "3d" or "1w"' });

const databaseUrl = z.string().refine((value) => /^(pglite:|postgres(ql)?:\/\/)/.test(value), {
  message:
    'a PostgreSQL URL (postgres://user:password@host/db, a Neon URL) or "pglite:<directory>" for the embedded database',
});

const server = {
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  APP_URL: url("the app's public origin").default("http://localhost:3000"),

  DATABASE_URL: databaseUrl.optional(),
  // A Neon SQL-over-HTTP endpoint other than Neon's own, such as a local Neon proxy.
  NEON_FETCH_ENDPOINT: url("a Neon SQL-over-HTTP endpoint").optional(),

  INNGEST_DEV: z.string().optional(),
  INNGEST_BASE_URL: url("the Inngest API origin").optional(),
  INNGEST_EVENT_KEY: z.string().min(1).optional(),
  INNGEST_SIGNING_KEY: prefixed(["signkey-"], "an Inngest signing key").optional(),

  CLERK_SECRET_KEY: prefixed(["sk_test_", "sk_live_"], "a Clerk secret key").optional(),
  CLERK_JWT_KEY: z
    .string()
    .refine((value) => value.includes("BEGIN PUBLIC KEY"), {
      message: "Clerk's JWT public key in PEM form (-----BEGIN PUBLIC KEY-----…)",
    })
    .optional(),
  CLERK_API_URL: url("the Clerk Backend API origin").optional(),
  CLERK_WEBHOOK_SIGNING_SECRET: prefixed(["whsec_"], "a Svix signing secret").optional(),

  STRIPE_SECRET_KEY: prefixed(
    ["sk_test_", "sk_live_", "rk_test_", "rk_live_"],
    "a Stripe secret key",
  ).optional(),
  STRIPE_WEBHOOK_SECRET: prefixed(["whsec_"], "a Stripe webhook signing secret").optional(),
  STRIPE_API_BASE: url("the Stripe API origin").optional(),
  STRIPE_PRICE_PRO: prefixed(["price_"], "a Stripe price id").optional(),
  STRIPE_PRICE_ENTERPRISE: prefixed(["price_"], "a Stripe price id").optional(),
  STRIPE_PRICE_SEAT: prefixed(["price_"], "a Stripe price id").optional(),
  TRIAL_DAYS: z.coerce
    .number({ message: "a whole number of days" })
    .int({ message: "a whole number of days" })
    .min(0)
    .max(730, { message: "at most 730 days (Stripe's limit)" })
    .default(14),

  RESEND_API_KEY: prefixed(["re_"], "a Resend API key").optional(),
  RESEND_BASE_URL: url("the Resend API origin").optional(),
  EMAIL_FROM: z
    .string()
    .regex(/^([^<>]+<)?[^@\s<>]+@[^@\s<>]+>?$/, {
      message: 'a sender such as "onramp <hello@example.com>"',
    })
    .default("onramp <onboarding@onramp.dev>"),
  TRIAL_OFFER_DELAY: duration.default("3d"),
  RECONCILE_CRON: z
    .string()
    .regex(/^(TZ=\S+ )?\S+( \S+){4}$/, {
      message:
        'a cron schedule of five fields, such as "0 * * * *" (hourly), optionally after "TZ=Europe/Paris "',
    })
    .default("0 * * * *"),
};

const client = {
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: prefixed(
    ["pk_test_", "pk_live_"],
    "a Clerk publishable key",
  ).optional(),
  NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: prefixed(
    ["pk_test_", "pk_live_"],
    "a Stripe publishable key",
  ).optional(),
};

type Shape = { [K in keyof typeof server | keyof typeof client]: unknown };

/** What a production server cannot run without; `next build` is exempt so one build runs anywhere. */
function missingProductionSecrets(values: Partial<Record<keyof Shape, unknown>>) {
  const missing: { name: keyof Shape; message: string }[] = [];
  const need = (name: keyof Shape, why: string) => {
    if (values[name] === undefined || values[name] === "") {
      missing.push({ name, message: `required in production (${why})` });
    }
  };
  need("DATABASE_URL", "the embedded database is for development");
  need("CLERK_SECRET_KEY", "the Clerk Backend API");
  need("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "sign-in");
  need("CLERK_WEBHOOK_SIGNING_SECRET", "to verify Clerk webhooks");
  if (!isTruthy(values.INNGEST_DEV)) {
    need(
      "INNGEST_SIGNING_KEY",
      "so /api/inngest only runs requests signed by Inngest; or set INNGEST_DEV=1",
    );
    need("INNGEST_EVENT_KEY", "to send events to Inngest; or set INNGEST_DEV=1");
  }
  if (values.STRIPE_SECRET_KEY)
    need("STRIPE_WEBHOOK_SECRET", "to verify Stripe webhooks when billing is on");
  need("RESEND_API_KEY", "the dev outbox does not deliver email");
  return missing;
}

function isTruthy(value: unknown) {
  return typeof value === "string" && value !== "" && value !== "0" && value !== "false";
}

export class InvalidEnvironmentError extends Error {
  constructor(lines: string[]) {
    super(
      `Invalid environment configuration:\n${lines.join("\n")}\nSee the table of variables in README.md.`,
    );
    this.name = "InvalidEnvironmentError";
  }
}

const isBuild = process.env.NEXT_PHASE === "phase-production-build";

export const env = createEnv({
  server,
  client,
  experimental__runtimeEnv: {
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
    NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: process.env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY,
  },
  emptyStringAsUndefined: true,
  createFinalSchema: (shape, isServer) =>
    z.object(shape).superRefine((values, ctx) => {
      if (!isServer || isBuild || values.NODE_ENV !== "production") return;
      for (const { name, message } of missingProductionSecrets(values)) {
        ctx.addIssue({ code: "custom", path: [name], message });
      }
    }),
  onValidationError: (issues) => {
    throw new InvalidEnvironmentError(
      issues.map((issue) => {
        const name = issue.path
          ?.map((part) => (typeof part === "object" ? part.key : part))
          .join(".");
        return `  ${name}: ${issue.message}`;
      }),
    );
  },
});
