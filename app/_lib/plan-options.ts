import type { PlanOption } from "@/app/_components/plan-picker";
import { plans, tiers } from "@/lib/billing/plans";

/** The plan catalogue as the browser may see it: display details only, never a price id. */
export function planOptions(): PlanOption[] {
  return tiers.map((tier) => ({ tier, ...plans[tier] }));
}
