import { connection } from "next/server";
import type { ReactNode } from "react";
import { supportEmail } from "@/app/_lib/support";
import { Alert, PageShell, PageTitle } from "./ui";

/**
 * A legal page as onramp ships it: a short, honest placeholder, marked as one, that whoever runs
 * the site replaces with their own text (in `source`), ending with whom to ask.
 */
export async function LegalPage({
  title,
  source,
  questionsAbout,
  children,
}: {
  title: string;
  /** The file to edit, named in the placeholder notice. */
  source: string;
  /** What the contact line is for: "Questions about …". */
  questionsAbout: string;
  children: ReactNode;
}) {
  await connection(); // the support address is the server's configuration, read per request
  const email = supportEmail();
  return (
    <PageShell>
      <PageTitle title={title} />
      <Alert tone="warning" title="Placeholder" className="mb-8">
        <p>
          This is the placeholder text that comes with onramp. Whoever runs this site replaces it
          with their own before taking real customers (it lives in{" "}
          <code className="break-all">{source}</code>).
        </p>
      </Alert>
      <div className="space-y-6 text-base text-slate-700 [&_h2]:text-lg [&_h2]:font-semibold [&_h2]:text-slate-900 [&_li]:ml-5 [&_li]:list-disc [&_section]:space-y-2">
        {children}
        <section>
          <h2>Contact</h2>
          <p>
            Questions about {questionsAbout}:{" "}
            <a className="underline" href={`mailto:${email}`}>
              {email}
            </a>
            .
          </p>
        </section>
      </div>
    </PageShell>
  );
}
