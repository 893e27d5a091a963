"use client";

import { useClerk } from "@clerk/nextjs";
import { useState } from "react";
import { paths } from "@/lib/routes";
import { Button } from "./ui";

export function SignOutButton({ variant = "ghost" }: { variant?: "ghost" | "secondary" }) {
  const clerk = useClerk();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      variant={variant}
      busy={busy}
      onClick={async () => {
        setBusy(true);
        await clerk.signOut({ redirectUrl: paths.home });
      }}
    >
      Sign out
    </Button>
  );
}
