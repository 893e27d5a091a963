"use server";

import { auth } from "@clerk/nextjs/server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import type { ActionResult } from "@/app/_lib/actions";
import { sessionEntitlements } from "@/app/_lib/entitlements";
import { createProject, ProjectsRefusedError } from "@/lib/projects";
import { paths } from "@/lib/routes";

const signedOut = "Your session has ended. Sign in again to continue.";

/** A new project, when the session's plan includes projects (checked again in lib/projects). */
export async function addProject(_state: ActionResult, form: FormData): Promise<ActionResult> {
  const session = await auth();
  if (!session.userId) return { error: signedOut };
  const parsed = z.object({ name: z.string() }).safeParse(Object.fromEntries(form));
  if (!parsed.success) return { error: "Name the project." };
  try {
    const entitlements = await sessionEntitlements({ ...session, userId: session.userId });
    await createProject(session.userId, parsed.data.name, entitlements);
  } catch (error) {
    if (error instanceof ProjectsRefusedError) return { error: error.message };
    throw error;
  }
  revalidatePath(paths.projects);
  return {};
}
