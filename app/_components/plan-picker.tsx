"use client";

import type { Tier } from "@/lib/billing/plans";
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
              <span className="flex items-baseline justify-between gap-2">
                <span className="font-semibold text-slate-900">{plan.name}</span>
                <span className="text-sm text-slate-900">
                  <span className="text-lg font-semibold">{plan.monthlyPrice}</span>
                  <span className="text-slate-500">/month</span>
                </span>
              </span>
              <span id={`plan-${plan.tier}-details`} className="mt-1 text-sm text-slate-600">
                {plan.description}
                {trialDays > 0 && (
                  <span className="mt-2 block font-medium text-brand-700">
                    Free for {trialDays} days, then {plan.monthlyPrice}/month
                  </span>
                )}
              </span>
              <ul className="mt-3 space-y-1 text-sm text-slate-600">
                {plan.features.map((feature) => (
                  <li key={feature} className="flex gap-2">
                    <span aria-hidden="true" className="text-brand-600">
                      ✓
                    </span>
                    {feature}
                  </li>
                ))}
              </ul>
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
