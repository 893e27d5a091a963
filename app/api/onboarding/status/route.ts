import { signedInUserId } from "@/lib/auth";
import { onboardingStatus } from "@/lib/onboarding/status";

/** The signed-in user's onboarding progress; the after-sign-up page polls it. */
export async function GET(request: Request) {
  const userId = await signedInUserId(request);
  if (!userId) {
    return Response.json(
      { error: "signed_out" },
      { status: 401, headers: { "cache-control": "no-store" } },
    );
  }
  return Response.json(await onboardingStatus(userId), {
    headers: { "cache-control": "no-store" },
  });
}
