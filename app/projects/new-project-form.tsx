"use client";

import { useActionState } from "react";
import { Alert, Button, inputClass } from "@/app/_components/ui";
import type { ActionResult } from "@/app/_lib/actions";
import { addProject } from "./actions";

export function NewProjectForm() {
  const [state, action, pending] = useActionState<ActionResult, FormData>(addProject, {});
  return (
    <form action={action} aria-label="New project" className="space-y-3">
      <label htmlFor="project-name" className="block text-sm font-medium text-slate-900">
        New project
      </label>
      <div className="flex flex-col gap-3 sm:flex-row">
        <input
          id="project-name"
          name="name"
          required
          maxLength={80}
          className={inputClass}
          placeholder="Website relaunch"
        />
        <Button type="submit" busy={pending}>
          Create
        </Button>
      </div>
      {state.error && <Alert tone="error">{state.error}</Alert>}
    </form>
  );
}
