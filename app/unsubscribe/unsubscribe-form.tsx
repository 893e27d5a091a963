"use client";

import { useActionState } from "react";
import { Alert, Button } from "@/app/_components/ui";
import { confirmUnsubscribe } from "./actions";

export function UnsubscribeForm({ user, token }: { user: string; token: string }) {
  const [state, action, pending] = useActionState(confirmUnsubscribe, {});
  if (state.done) {
    return (
      <Alert tone="success" title="You're unsubscribed">
        We won&apos;t email you again.
      </Alert>
    );
  }
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="user" value={user} />
      <input type="hidden" name="token" value={token} />
      <Button type="submit" busy={pending}>
        Unsubscribe
      </Button>
      {state.error && <Alert tone="error">{state.error}</Alert>}
    </form>
  );
}
