"use client";

import { useActionState } from "react";
import { Alert, Button } from "@/app/_components/ui";
import type { ActionResult } from "@/app/_lib/actions";
import { resumePlan } from "./actions";

/** Resumes a plan cancelled at its period's end; the page reloads with the renewal back on. */
export function ResumePlanButton() {
  const [state, action, pending] = useActionState<ActionResult>(resumePlan, {});
  return (
    <form action={action} className="space-y-3">
      <Button type="submit" busy={pending}>
        {pending ? "Resuming…" : "Resume my plan"}
      </Button>
      {state.error && <Alert tone="error">{state.error}</Alert>}
    </form>
  );
}
