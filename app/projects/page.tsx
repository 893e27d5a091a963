import type { Metadata } from "next";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { Alert, ButtonLink, Card, PageShell, PageTitle } from "@/app/_components/ui";
import { sessionEntitlements } from "@/app/_lib/entitlements";
import { signedInPage } from "@/app/_lib/pages";
import { may } from "@/lib/billing/entitlements";
import { listProjects } from "@/lib/projects";
import { paths } from "@/lib/routes";
import { NewProjectForm } from "./new-project-form";

export const metadata: Metadata = { title: "Projects" };

const shortDate = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" });

/**
 * The personal plans' paid feature. Whether the user may make projects comes from their session's
 * claims (the entitlement check, no database read); the list is theirs to see either way.
 */
export default signedInPage("Projects", paths.projects, async (session) => {
  const entitlements = await sessionEntitlements(session);
  const allowed = may(entitlements, "projects");
  const list = await listProjects(session.userId);

  return (
    <PageShell width="lg" actions={<SignOutButton />}>
      <PageTitle title="Projects" lead="Everything you are working on, in one place." />
      <div className="space-y-6">
        {allowed ? (
          <Card>
            <NewProjectForm />
          </Card>
        ) : (
          <Alert
            tone="warning"
            title={
              entitlements.standing === "ended"
                ? "Your plan has ended"
                : "Projects are part of every paid plan"
            }
          >
            <p>You can see your projects; creating new ones needs a plan.</p>
            <ButtonLink href={paths.resubscribe}>Subscribe again</ButtonLink>
          </Alert>
        )}
        <Card>
          {list.length === 0 ? (
            <p className="text-sm text-slate-600">No projects yet.</p>
          ) : (
            <ul className="divide-y divide-slate-100" aria-label="Your projects">
              {list.map((project) => (
                <li key={project.id} className="flex justify-between gap-4 py-3 text-sm">
                  <span className="font-medium text-slate-900">{project.name}</span>
                  <span className="text-slate-500">{shortDate.format(project.createdAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </PageShell>
  );
});
