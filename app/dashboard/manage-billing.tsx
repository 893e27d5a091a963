"use client";

import { useActionState } from "react";
import { Alert, Button } from "@/app/_components/ui";
import type { ActionResult } from "@/app/_lib/actions";
import { openBillingPortal } from "./actions";

export function ManageBillingButton({ disabled }: { disabled?: boolean }) {
  const [state, action, pending] = useActionState<ActionResult>(openBillingPortal, {});
  return (
    <form action={action} className="space-y-3">
      <Button type="submit" busy={pending} disabled={disabled}>
        {pending ? "Opening Stripe…" : "Manage billing"}
      </Button>
      {state.error && <Alert tone="error">{state.error}</Alert>}
    </form>
  );
}
