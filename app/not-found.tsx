import type { Metadata } from "next";
import { ButtonLink, PageShell, PageTitle } from "@/app/_components/ui";
import { paths } from "@/lib/routes";

export const metadata: Metadata = { title: "Page not found" };

/** Any address the site does not have, and pages that answer notFound(). */
export default function NotFound() {
  return (
    <PageShell>
      <p className="mb-2 text-sm font-semibold text-brand-700">404</p>
      <PageTitle
        title="We can't find that page"
        lead="The link may be mistyped, or the page may have moved. Nothing you did is lost."
      />
      <div className="flex flex-wrap gap-3">
        <ButtonLink href={paths.home}>Go to the home page</ButtonLink>
        <ButtonLink href={paths.dashboard} variant="secondary">
          Go to your dashboard
        </ButtonLink>
      </div>
    </PageShell>
  );
}
