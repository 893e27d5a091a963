import type { OnboardingStepStatus } from "@/lib/onboarding/status";
import { cx, Spinner } from "../ui";

const spoken: Record<OnboardingStepStatus["status"], string> = {
  done: "Done",
  running: "In progress",
  pending: "Not started",
  failed: "Failed",
  skipped: "Skipped",
};

function StepIcon({ status }: { status: OnboardingStepStatus["status"] }) {
  const base = "grid size-7 shrink-0 place-items-center rounded-full text-sm font-bold";
  switch (status) {
    case "done":
      return <span className={cx(base, "bg-emerald-600 text-white")}>✓</span>;
    case "running":
      return (
        <span className={cx(base, "bg-brand-50 text-brand-600 ring-1 ring-brand-100")}>
          <Spinner className="size-4" />
        </span>
      );
    case "failed":
      return <span className={cx(base, "bg-red-600 text-white")}>!</span>;
    case "skipped":
      return <span className={cx(base, "bg-slate-100 text-slate-400")}>–</span>;
    case "pending":
      return <span className={cx(base, "bg-white ring-2 ring-inset ring-slate-200")} />;
  }
}

/**
 * The workflow's steps in order, each with its state; screen readers hear the state in words. A
 * step's reason is left out when the page already states it (`statedReason`).
 */
export function StepList({
  steps,
  statedReason,
}: {
  steps: OnboardingStepStatus[];
  statedReason?: string;
}) {
  return (
    <ol className="space-y-1" aria-label="Setup steps">
      {steps.map((step, index) => (
        <li
          key={step.id}
          data-step={step.id}
          data-status={step.status}
          className="relative flex gap-3 py-2"
        >
          {index < steps.length - 1 && (
            <span
              aria-hidden="true"
              className={cx(
                "absolute top-10 bottom-[-0.75rem] left-[0.8125rem] w-0.5",
                step.status === "done" ? "bg-emerald-200" : "bg-slate-200",
              )}
            />
          )}
          <span aria-hidden="true">
            <StepIcon status={step.status} />
          </span>
          <div className="min-w-0 pt-0.5">
            <p
              className={cx(
                "text-sm font-medium",
                step.status === "pending" || step.status === "skipped"
                  ? "text-slate-500"
                  : step.status === "failed"
                    ? "text-red-800"
                    : "text-slate-900",
              )}
            >
              {step.label}
              <span className="sr-only">: {spoken[step.status]}</span>
            </p>
            {step.reason && step.reason !== statedReason && (
              <p
                className={cx(
                  "mt-0.5 text-sm",
                  step.status === "failed" ? "text-red-700" : "text-slate-500",
                )}
              >
                {step.reason}
              </p>
            )}
          </div>
        </li>
      ))}
    </ol>
  );
}
