import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { onboardingSubmissionLimits, onboardingSubmissions } from "@/lib/db/schema";
import {
  SUBMISSIONS_PER_MINUTE,
  SubmissionRefusedError,
  storeCardConfirmation,
  storePaymentDetails,
} from "@/lib/onboarding/submissions";

// Runs on PGlite and, in the neon-http project, through the production Neon HTTP driver: the
// limit is one upsert that driver can send, so it holds across server instances (issue 15).

const newUserId = () => `user_${randomUUID().replaceAll("-", "")}`;
const token = () => `ctoken_${randomUUID().replaceAll("-", "")}`;
const setupIntent = () => `seti_${randomUUID().replaceAll("-", "")}`;

const storedFor = async (userId: string) =>
  (await getDb())
    .select()
    .from(onboardingSubmissions)
    .where(eq(onboardingSubmissions.clerkUserId, userId));

const countedFor = async (userId: string) =>
  (
    await (
      await getDb()
    )
      .select()
      .from(onboardingSubmissionLimits)
      .where(eq(onboardingSubmissionLimits.clerkUserId, userId))
  )[0]?.submissions ?? 0;

/** The refusal `work` ends in: its code and message. */
const refusalOf = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (error: unknown) => {
      expect(error).toBeInstanceOf(SubmissionRefusedError);
      const { code, message } = error as SubmissionRefusedError;
      return { code, message };
    },
  );

describe(`onboarding submissions (${process.env.NEON_FETCH_ENDPOINT ? "neon-http" : "pglite"})`, () => {
  const badTokens: unknown[] = [
    "",
    "ctoken_",
    "pm_card_visa",
    "seti_123",
    "ctoken_abc' or '1'='1",
    "ctoken_abc\n",
    "ctoken_abc def",
    ` ctoken_abc`,
    `ctoken_${"a".repeat(300)}`,
    null,
    42,
    ["ctoken_abc"],
    { id: "ctoken_abc" },
  ];
  const badTiers: unknown[] = [
    "",
    "free",
    "Pro",
    "price_pro_test",
    "__proto__",
    "constructor",
    "toString",
    null,
    1,
    { tier: "pro" },
  ];

  it("stores a well-formed plan and card, as checked", async () => {
    const userId = newUserId();
    const confirmationToken = token();
    expect(await storePaymentDetails(userId, { tier: "pro", confirmationToken })).toEqual({
      tier: "pro",
      confirmationToken,
    });
    // A double submit of the same card is one row.
    await storePaymentDetails(userId, { tier: "pro", confirmationToken });
    expect(await storedFor(userId)).toMatchObject([
      { kind: "payment_details", reference: confirmationToken, tier: "pro" },
    ]);
  });

  it("a new card sent without a plan keeps the plan chosen last, not the one chosen at sign-up", async () => {
    const userId = newUserId();
    await storePaymentDetails(userId, { tier: "enterprise", confirmationToken: token() });
    await storePaymentDetails(userId, { tier: "pro", confirmationToken: token() });
    // No plan named (Clerk's sign-up tier is not asked: the user chose since).
    expect(await storePaymentDetails(userId, { confirmationToken: token() })).toMatchObject({
      tier: "pro",
    });
  });

  it("refuses a malformed ConfirmationToken or tier key with a clear message, storing and counting nothing", async () => {
    const userId = newUserId();
    for (const confirmationToken of badTokens) {
      expect(
        await refusalOf(storePaymentDetails(userId, { tier: "pro", confirmationToken })),
      ).toEqual({
        code: "invalid_card",
        message: "Your card details did not come through. Please enter them again.",
      });
    }
    for (const tier of badTiers) {
      expect(
        await refusalOf(storePaymentDetails(userId, { tier, confirmationToken: token() })),
      ).toEqual({
        code: "invalid_plan",
        message: "Choose one of the plans.",
      });
    }
    // The same tricks on a SetupIntent id, and a ConfirmationToken where one is expected.
    const swapped = (value: unknown) =>
      typeof value === "string" ? value.replace(/^(\s?)ctoken_/, "$1seti_") : value;
    for (const id of [...badTokens.map(swapped).filter((id) => id !== "seti_123"), token()]) {
      expect(await refusalOf(storeCardConfirmation(userId, id))).toEqual({
        code: "invalid_confirmation",
        message: "We couldn't tell which card your bank confirmed. Please reload the page.",
      });
    }
    expect(await storedFor(userId)).toEqual([]);
    expect(await countedFor(userId)).toBe(0);
  });

  it(`lets each user submit ${SUBMISSIONS_PER_MINUTE} times a minute, then refuses with a clear message`, async () => {
    const userId = newUserId();
    for (let i = 0; i < SUBMISSIONS_PER_MINUTE - 1; i++) {
      await storePaymentDetails(userId, { tier: "pro", confirmationToken: token() });
    }
    await storeCardConfirmation(userId, setupIntent());

    // Cards and 3-D Secure confirmations share the limit.
    const tooMany = {
      code: "too_many",
      message: "Too many attempts in a short time. Please wait a minute, then try again.",
    };
    expect(await refusalOf(storeCardConfirmation(userId, setupIntent()))).toEqual(tooMany);
    const refusedToken = token();
    expect(
      await refusalOf(
        storePaymentDetails(userId, { tier: "pro", confirmationToken: refusedToken }),
      ),
    ).toEqual(tooMany);
    const stored = await storedFor(userId);
    expect(stored).toHaveLength(SUBMISSIONS_PER_MINUTE);
    expect(stored.map((row) => row.reference)).not.toContain(refusedToken);

    // Another user is not affected.
    await storePaymentDetails(newUserId(), { tier: "enterprise", confirmationToken: token() });

    // A minute later, a new window.
    await (
      await getDb()
    )
      .update(onboardingSubmissionLimits)
      .set({ windowStartedAt: new Date(Date.now() - 61_000) })
      .where(eq(onboardingSubmissionLimits.clerkUserId, userId));
    await storePaymentDetails(userId, { tier: "pro", confirmationToken: refusedToken });
    expect(await countedFor(userId)).toBe(1);
    expect(await storedFor(userId)).toHaveLength(SUBMISSIONS_PER_MINUTE + 1);
  });

  it("admits exactly the limit out of many submissions at once", async () => {
    const userId = newUserId();
    const results = await Promise.allSettled(
      Array.from({ length: 4 * SUBMISSIONS_PER_MINUTE }, () =>
        storePaymentDetails(userId, { tier: "pro", confirmationToken: token() }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(
      SUBMISSIONS_PER_MINUTE,
    );
    expect(await storedFor(userId)).toHaveLength(SUBMISSIONS_PER_MINUTE);
  });
});
