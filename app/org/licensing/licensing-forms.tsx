"use client";

import { useActionState } from "react";
import { Alert, Button, cx, inputClass } from "@/app/_components/ui";
import { buySeats, manageSubscription, setMemberLicense, type ActionState } from "./actions";

export function BuySeatsForm({ suggested, max }: { suggested: number; max: number }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(buySeats, {});
  return (
    <form action={action} className="space-y-4" aria-label="Buy seats">
      <div>
        <label htmlFor="quantity" className="block text-sm font-medium text-slate-900">
          Number of seats
        </label>
        <input
          id="quantity"
          name="quantity"
          type="number"
          inputMode="numeric"
          min={1}
          max={max}
          step={1}
          required
          defaultValue={suggested}
          className={cx(inputClass, "mt-1.5 max-w-40")}
        />
        <p className="mt-1.5 text-sm text-slate-600">
          You can change it on Stripe&apos;s checkout page.
        </p>
      </div>
      <Button type="submit" busy={pending}>
        {pending ? "Opening Stripe…" : "Buy seats"}
      </Button>
      {state.error && <Alert tone="error">{state.error}</Alert>}
    </form>
  );
}

export function ManageSubscriptionButton() {
  const [state, action, pending] = useActionState<ActionState>(manageSubscription, {});
  return (
    <form action={action} className="space-y-3">
      <Button type="submit" variant="secondary" busy={pending}>
        {pending ? "Opening Stripe…" : "Manage subscription"}
      </Button>
      {state.error && <Alert tone="error">{state.error}</Alert>}
    </form>
  );
}

/**
 * The licensed switch of one member. It sends the state wanted, not "flip", so a repeated click
 * or a retry after a failed Clerk write can never undo itself.
 */
export function LicenseToggle({
  userId,
  name,
  licensed,
  synced,
}: {
  userId: string;
  name: string;
  licensed: boolean;
  /** Whether Clerk's membership metadata agrees with the database. */
  synced: boolean;
}) {
  const [state, action, pending] = useActionState<ActionState, FormData>(setMemberLicense, {});
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex items-center gap-3">
        {!synced && (
          <form action={action}>
            <input type="hidden" name="userId" value={userId} />
            <input type="hidden" name="licensed" value={String(licensed)} />
            <Button type="submit" variant="ghost" busy={pending} className="text-amber-900">
              Not synced to Clerk · Retry
            </Button>
          </form>
        )}
        <form action={action}>
          <input type="hidden" name="userId" value={userId} />
          <input type="hidden" name="licensed" value={String(!licensed)} />
          <button
            type="submit"
            role="switch"
            aria-checked={licensed}
            aria-label={`Licensed: ${name}`}
            disabled={pending}
            className={cx(
              "relative inline-flex h-6 w-11 shrink-0 items-center rounded-full transition-colors focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:ring-offset-2 focus-visible:outline-none disabled:opacity-60",
              licensed ? "bg-brand-600" : "bg-slate-300",
            )}
          >
            <span
              aria-hidden="true"
              className={cx(
                "inline-block size-5 rounded-full bg-white shadow transition-transform",
                licensed ? "translate-x-5" : "translate-x-0.5",
              )}
            />
          </button>
        </form>
      </div>
      {state.error && (
        <Alert tone="error" className="max-w-sm text-left">
          {state.error}
        </Alert>
      )}
      {state.message && !state.error && (
        <p role="status" className="text-sm text-slate-600">
          {state.message}
        </p>
      )}
    </div>
  );
}
