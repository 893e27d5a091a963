import { ClerkProvider } from "@clerk/nextjs";
import type { Metadata, Viewport } from "next";
import Script from "next/script";
import type { ReactNode } from "react";
import { DemoBanner } from "@/app/_components/demo-banner";
import { env } from "@/lib/env";
import { paths } from "@/lib/routes";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "onramp", template: "%s · onramp" },
  description: "Sign up, start your trial, and get to work.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  const page = (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        {/* Demo mode: the simulated clerk-js and Stripe.js, as window.Clerk and window.Stripe
            before the SDKs look for them (lib/demo.ts, packages/standins/src/browser-server.ts). */}
        {env.ONRAMP_DEMO_URL && (
          <Script src={`${env.ONRAMP_DEMO_URL}/browser.js`} strategy="beforeInteractive" />
        )}
        <DemoBanner />
        {children}
      </body>
    </html>
  );
  // Without Clerk keys the app still runs (public pages, /api/health); the pages that need a
  // user say how to configure Clerk instead of rendering a provider that cannot start. The
  // publishable key is fixed at build time, so static and dynamic pages agree on this.
  if (!env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY) return page;
  return (
    <ClerkProvider
      publishableKey={env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY}
      signInUrl={paths.signIn}
      signUpUrl={paths.signUp}
      afterSignOutUrl={paths.home}
    >
      {page}
    </ClerkProvider>
  );
}
