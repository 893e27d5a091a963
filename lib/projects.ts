import { desc, eq } from "drizzle-orm";
import { may, type Entitlements } from "@/lib/billing/entitlements";
import { getDb } from "@/lib/db/client";
import { projects } from "@/lib/db/schema";
import { PermanentError } from "@/lib/errors";

/**
 * Projects: the personal plans' paid feature, the example of a feature behind the entitlement
 * check. Anyone keeps seeing what they made; making more takes a plan that includes projects.
 */

export interface Project {
  id: string;
  name: string;
  createdAt: Date;
}

/** A refusal the page shows as it is. */
export class ProjectsRefusedError extends PermanentError {}

export async function listProjects(userId: string): Promise<Project[]> {
  const db = await getDb();
  return db
    .select({ id: projects.id, name: projects.name, createdAt: projects.createdAt })
    .from(projects)
    .where(eq(projects.clerkUserId, userId))
    .orderBy(desc(projects.createdAt));
}

/** A new project, when the user's plan includes projects. */
export async function createProject(
  userId: string,
  name: string,
  entitlements: Entitlements,
): Promise<Project> {
  if (!may(entitlements, "projects")) {
    throw new ProjectsRefusedError(
      entitlements.standing === "ended"
        ? "Your plan has ended: subscribe again to create projects."
        : "Projects are part of every paid plan.",
    );
  }
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 80) {
    throw new ProjectsRefusedError("Name the project in 1 to 80 characters.");
  }
  const db = await getDb();
  const [project] = await db
    .insert(projects)
    .values({ clerkUserId: userId, name: trimmed })
    .returning({ id: projects.id, name: projects.name, createdAt: projects.createdAt });
  return project!;
}

/** Erases a deleted user's projects (their names are theirs). */
export async function eraseProjects(userId: string): Promise<void> {
  const db = await getDb();
  await db.delete(projects).where(eq(projects.clerkUserId, userId));
}
