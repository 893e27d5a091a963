import Link from "next/link";
import type { ComponentProps, ReactNode } from "react";
import { paths } from "@/lib/routes";

/** Small, accessible building blocks shared by every page; Tailwind only, no client JS. */

export function cx(...classes: (string | false | null | undefined)[]) {
  return classes.filter(Boolean).join(" ");
}

const buttonStyles = {
  primary:
    "bg-brand-600 text-white shadow-sm hover:bg-brand-700 disabled:bg-brand-600/60 disabled:hover:bg-brand-600/60",
  secondary:
    "bg-white text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:text-slate-400",
  ghost: "text-slate-700 hover:bg-slate-100 disabled:text-slate-400",
} as const;

type ButtonVariant = keyof typeof buttonStyles;

const buttonBase =
  "inline-flex min-h-10 items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-semibold transition-colors disabled:cursor-not-allowed";

export function Button({
  variant = "primary",
  busy = false,
  className,
  children,
  disabled,
  ...props
}: ComponentProps<"button"> & { variant?: ButtonVariant; busy?: boolean }) {
  return (
    <button
      type="button"
      {...props}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={cx(buttonBase, buttonStyles[variant], className)}
    >
      {busy && <Spinner className="size-4" />}
      {children}
    </button>
  );
}

export function ButtonLink({
  variant = "primary",
  className,
  ...props
}: ComponentProps<typeof Link> & { variant?: ButtonVariant }) {
  return <Link {...props} className={cx(buttonBase, buttonStyles[variant], className)} />;
}

export function Spinner({ className }: { className?: string }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 24 24"
      fill="none"
      className={cx("animate-spin motion-reduce:animate-none", className)}
    >
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}

export function Card({ className, children }: { className?: string; children: ReactNode }) {
  return (
    <div
      className={cx("rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:p-8", className)}
    >
      {children}
    </div>
  );
}

const alertStyles = {
  info: "bg-brand-50 text-brand-700 ring-brand-100",
  success: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  warning: "bg-amber-50 text-amber-900 ring-amber-200",
  error: "bg-red-50 text-red-800 ring-red-200",
} as const;

/** A message box; errors and warnings are announced to screen readers as they appear. */
export function Alert({
  tone = "info",
  title,
  children,
  className,
  id,
}: {
  tone?: keyof typeof alertStyles;
  title?: ReactNode;
  children?: ReactNode;
  className?: string;
  id?: string;
}) {
  const urgent = tone === "error" || tone === "warning";
  return (
    <div
      id={id}
      role={urgent ? "alert" : "status"}
      className={cx("rounded-lg px-4 py-3 text-sm ring-1 ring-inset", alertStyles[tone], className)}
    >
      {title && <p className="font-semibold">{title}</p>}
      {children && <div className={cx(Boolean(title) && "mt-1", "space-y-2")}>{children}</div>}
    </div>
  );
}

export function FieldError({ id, children }: { id: string; children?: ReactNode }) {
  if (!children) return null;
  return (
    <p id={id} className="mt-1.5 text-sm text-red-700">
      {children}
    </p>
  );
}

export const inputClass =
  "block w-full rounded-lg border-0 bg-white px-3 py-2.5 text-base text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-brand-500 focus:outline-none aria-[invalid=true]:ring-red-500 sm:text-sm";

const widths = { sm: "max-w-md", md: "max-w-xl", lg: "max-w-2xl", xl: "max-w-5xl" } as const;

export function PageShell({
  children,
  width = "md",
  actions,
}: {
  children: ReactNode;
  width?: keyof typeof widths;
  /** Shown at the right of the header, e.g. a sign-out button. */
  actions?: ReactNode;
}) {
  return (
    <div className="flex min-h-screen flex-col">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-5xl items-center justify-between px-4 sm:px-6">
          <Link
            href={paths.home}
            className="flex items-center gap-2 rounded font-semibold tracking-tight"
          >
            <Logo />
            onramp
          </Link>
          {actions && <div className="flex items-center gap-2">{actions}</div>}
        </div>
      </header>
      <main className={cx("mx-auto w-full flex-1 px-4 py-10 sm:px-6 sm:py-14", widths[width])}>
        {children}
      </main>
      <footer className="border-t border-slate-200 bg-white">
        <nav
          aria-label="Legal"
          className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-6 text-sm text-slate-600 sm:px-6"
        >
          <span>onramp</span>
          <Link href={paths.terms} className="hover:text-slate-900 hover:underline">
            Terms of Service
          </Link>
          <Link href={paths.privacy} className="hover:text-slate-900 hover:underline">
            Privacy Policy
          </Link>
        </nav>
      </footer>
    </div>
  );
}

function Logo() {
  return (
    <span
      aria-hidden="true"
      className="grid size-7 place-items-center rounded-lg bg-brand-600 text-sm font-bold text-white"
    >
      ↗
    </span>
  );
}

export function PageTitle({ title, lead }: { title: ReactNode; lead?: ReactNode }) {
  return (
    <div className="mb-8">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
      {lead && <p className="mt-2 text-base text-slate-600">{lead}</p>}
    </div>
  );
}
