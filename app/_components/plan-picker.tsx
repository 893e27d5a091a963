"use client";

import type { Tier } from "@/lib/billing/plans";
import { PlanSummary } from "./plan-summary";
import { cx } from "./ui";

export interface PlanOption {
  tier: Tier;
  name: string;
  description: string;
  monthlyPrice: string;
  features: readonly string[];
}

/** The plan catalogue as radio cards (native radios: arrow keys and screen readers just work). */
export function PlanPicker({
  plans,
  trialDays,
  value,
  onChange,
  disabled,
}: {
  plans: PlanOption[];
  trialDays: number;
  value: Tier;
  onChange: (tier: Tier) => void;
  disabled?: boolean;
}) {
  return (
    <fieldset disabled={disabled}>
      <legend className="mb-1.5 text-sm font-medium text-slate-900">Plan</legend>
      <p className="mb-3 text-sm text-slate-600">
        {trialDays > 0
          ? `Every plan starts with a ${trialDays}-day free trial. Cancel any time before it ends.`
          : "Billed monthly. Cancel any time."}
      </p>
      <div className="grid gap-3 sm:grid-cols-2">
        {plans.map((plan) => {
          const checked = plan.tier === value;
          return (
            <label
              key={plan.tier}
              className={cx(
                "relative flex cursor-pointer flex-col rounded-xl bg-white p-4 ring-1 transition-shadow has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-500",
                checked ? "ring-2 ring-brand-600" : "ring-slate-300 hover:ring-slate-400",
              )}
            >
              <input
                type="radio"
                name="tier"
                value={plan.tier}
                checked={checked}
                onChange={() => onChange(plan.tier)}
                className="sr-only"
                aria-describedby={`plan-${plan.tier}-details`}
              />
              <PlanSummary plan={plan} trialDays={trialDays} />
              {checked && (
                <span
                  aria-hidden="true"
                  className="absolute -top-2 -right-2 grid size-6 place-items-center rounded-full bg-brand-600 text-xs text-white"
                >
                  ✓
                </span>
              )}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
