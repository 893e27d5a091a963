import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";
import { demoVendors, liveKeysInDemo, parseDemoVendors } from "./demo";

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
  // Under NODE_ENV=production, INNGEST_DEV is refused unless this is "1" (see productionProblems).
  ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: z
    .enum(["1"], { message: 'unset, or "1" to accept INNGEST_DEV in production' })
    .optional(),
  INNGEST_BASE_URL: url("the Inngest API origin").optional(),
  // Where Inngest calls the app when that is not APP_URL (a dev server in a container).
  INNGEST_SERVE_ORIGIN: url("the origin Inngest reaches the app at").optional(),
  INNGEST_EVENT_KEY: z.string().min(1).optional(),
  INNGEST_SIGNING_KEY: prefixed(["signkey-"], "an Inngest signing key").optional(),
  // How long one request to /api/inngest runs steps (checkpointing each) before it hands the run
  // back to Inngest: with the longest step, below the platform's limit on a request (Vercel's
  // maxDuration, 60 s for /api/inngest). "0": no limit, for a long-running server.
  INNGEST_CHECKPOINT_MAX_RUNTIME: z
    .string()
    .regex(/^(0|\d+(ms|s|m|h))$/, {
      message: 'a duration such as "10s" or "4m", or "0" for no limit',
    })
    .default("10s"),

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

  // Demo mode (lib/demo.ts): set by `npm run dev` for the app it starts, never by hand.
  ONRAMP_DEMO: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const vendors = parseDemoVendors(value);
      if (vendors) return vendors;
      ctx.addIssue({
        code: "custom",
        message: `"off" or a comma-separated list of ${demoVendors.join(", ")}`,
      });
      return z.NEVER;
    }),
  ONRAMP_DEMO_URL: url("the demo stand-ins' browser-facing origin").optional(),
  // Which deployment made a Stripe object (lib/billing/ownership): staging and previews may share
  // one Stripe account with production, and each touches only its own objects.
  ONRAMP_ENVIRONMENT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, {
      message:
        'a short name for this deployment such as "production", "staging" or "preview-42" (lower-case letters, digits, ".", "_", "-")',
    })
    .default("development"),
  // The dev outbox page (/dev/emails): set by `npm run dev` for the app it starts, never by hand.
  ONRAMP_DEV_EMAILS: z.enum(["1"], { message: 'unset, or "1" to show /dev/emails' }).optional(),
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

/** The variable that lets a production server run in Inngest's dev mode; its name is the warning. */
export const unsafeInngestDevOptIn = "ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION";

/**
 * What a production server cannot run with; `next build` is exempt so one build runs anywhere.
 * `given` says which variables with a development default were set: APP_URL's (localhost) would
 * make every session fail Clerk's `azp` check, register localhost with Inngest and put localhost
 * in emails; ONRAMP_ENVIRONMENT's would tag production's Stripe objects as a developer's.
 */
function productionProblems(
  values: Partial<Record<keyof Shape, unknown>>,
  given: { appUrl: boolean; environment: boolean },
) {
  const problems: { name: keyof Shape; message: string }[] = [];
  const need = (name: keyof Shape, why: string) => {
    if (values[name] === undefined || values[name] === "") {
      problems.push({ name, message: `required in production (${why})` });
    }
  };
  need("DATABASE_URL", "the embedded database is for development");
  // Its development default would mix this deployment's Stripe objects with a developer's.
  if (!given.environment) {
    problems.push({
      name: "ONRAMP_ENVIRONMENT",
      message:
        'required in production: the name every Stripe object this deployment makes is tagged with, such as "production", so another deployment sharing the Stripe account never touches them',
    });
  }
  if (!given.appUrl) {
    problems.push({
      name: "APP_URL",
      message:
        "required in production: the app's public origin such as https://app.example.com (Clerk refuses sessions minted for another origin, Inngest calls the app there, emails link to it)",
    });
  }
  need("CLERK_SECRET_KEY", "the Clerk Backend API");
  need("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "sign-in");
  need("CLERK_WEBHOOK_SIGNING_SECRET", "to verify Clerk webhooks");
  // Always: in production /api/inngest must run only what Inngest signed.
  need("INNGEST_SIGNING_KEY", "so /api/inngest only runs requests signed by Inngest");
  need("INNGEST_EVENT_KEY", "to send events to Inngest");
  if (
    isTruthy(values.INNGEST_DEV) &&
    values.ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION !== "1"
  ) {
    problems.push({
      name: "INNGEST_DEV",
      message:
        "must not be set in production: in dev mode /api/inngest runs requests nobody signed, so anyone who reaches it can run any workflow (mark an account paid, for one). " +
        "To run a production build against a local Inngest, prefer a self-hosted `inngest start --signing-key … --event-key …` with INNGEST_BASE_URL pointing at it and the same two keys here (requests stay signed). " +
        `Only on a machine nobody else can reach, set ${unsafeInngestDevOptIn}=1 to allow INNGEST_DEV anyway.`,
    });
  }
  if (values.STRIPE_SECRET_KEY)
    need("STRIPE_WEBHOOK_SECRET", "to verify Stripe webhooks when billing is on");
  need("RESEND_API_KEY", "the dev outbox does not deliver email");
  return problems;
}

function isTruthy(value: unknown) {
  return typeof value === "string" && value !== "" && value !== "0" && value !== "false";
}

export class InvalidEnvironmentError extends Error {
  constructor(lines: string[]) {
    super(
      `Invalid environment configuration:\n${lines.join("\n")}\nSee the table of variables in docs/configuration.md.`,
    );
    this.name = "InvalidEnvironmentError";
  }
}

const isBuild = process.env.NEXT_PHASE === "phase-production-build";
/**
 * Whether this code was compiled by `next build`: next.config.ts has the build inline "1" here.
 * A built server decides production behaviour by NODE_ENV at run time (these checks, the dev
 * outbox), so it must be started with NODE_ENV=production.
 */
const builtServer = process.env.ONRAMP_NEXT_BUILD === "1";

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
      if (!isServer) return;
      const problem = (name: keyof Shape, message: string) =>
        ctx.addIssue({ code: "custom", path: [name], message });
      const demo = Array.isArray(values.ONRAMP_DEMO) ? values.ONRAMP_DEMO : [];
      const liveKeys = liveKeysInDemo(process.env, demo);
      if (liveKeys) problem("ONRAMP_DEMO", liveKeys);
      if (builtServer && !isBuild && values.NODE_ENV !== "production") {
        problem(
          "NODE_ENV",
          `this server was built by \`next build\` and starts only with NODE_ENV=production (not "${values.NODE_ENV}"), so that production's checks apply. ` +
            "To try a build on this machine, see docs/deploying.md, Running a built server locally.",
        );
      }
      if (values.NODE_ENV !== "production") return;
      // Simulated vendors accept anyone with any card: never in production, built or served.
      if (demo.length > 0) {
        problem(
          "ONRAMP_DEMO",
          "demo mode (simulated vendors) never runs in production; unset it and configure the real vendors",
        );
      }
      // Every page loads a script from it, the card form included.
      if (values.ONRAMP_DEMO_URL) {
        problem(
          "ONRAMP_DEMO_URL",
          "demo mode's script origin is never loaded in production; unset it",
        );
      }
      if (values.ONRAMP_DEV_EMAILS) {
        problem(
          "ONRAMP_DEV_EMAILS",
          "the dev outbox (/dev/emails) never shows in production; unset it",
        );
      }
      if (isBuild) return;
      // These have development defaults, so whether they were given is read from the environment.
      const given = {
        appUrl: Boolean(process.env.APP_URL),
        environment: Boolean(process.env.ONRAMP_ENVIRONMENT),
      };
      for (const { name, message } of productionProblems(values, given)) {
        problem(name, message);
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

/** Whether the Inngest client talks to a dev server (unsigned requests accepted): INNGEST_DEV set, not "0"/"false". */
export const inngestDevMode = isTruthy(env.INNGEST_DEV);
