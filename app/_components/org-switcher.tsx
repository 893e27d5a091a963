"use client";

import { OrganizationSwitcher } from "@clerk/nextjs";
import { paths } from "@/lib/routes";

/**
 * Clerk's organization switcher. Seats belong to organizations, so a newly created or newly
 * chosen one lands on its seats page, where an admin buys and assigns them.
 */
export function OrgSwitcher() {
  return (
    <OrganizationSwitcher
      hidePersonal
      afterCreateOrganizationUrl={paths.licensing}
      afterSelectOrganizationUrl={paths.licensing}
    />
  );
}
