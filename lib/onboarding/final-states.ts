import type { OnboardingState } from "@/lib/db/schema";

/**
 * States after which the status no longer changes by itself: the progress page stops asking,
 * and the server answers a long poll at once instead of holding it. (An operator's rerun of a
 * failed onboarding starts over; the user reloads to follow it.)
 */
export const finalStates: ReadonlySet<OnboardingState> = new Set(["complete", "failed"]);
