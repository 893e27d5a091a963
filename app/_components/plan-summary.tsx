import type { PlanOption } from "./plan-picker";

/** A plan as a visitor reads it: name, price, what it is for, the trial, and what it includes. */
export function PlanSummary({ plan, trialDays }: { plan: PlanOption; trialDays: number }) {
  return (
    <>
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
    </>
  );
}
