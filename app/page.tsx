import { connection } from "next/server";
import { PlanSummary } from "@/app/_components/plan-summary";
import { ButtonLink, Card, PageShell } from "@/app/_components/ui";
import { planOptions } from "@/app/_lib/plan-options";
import { trialDays } from "@/lib/billing/plans";
import { paths } from "@/lib/routes";

const steps = [
  {
    title: "One form",
    text: "Your email, a plan and a card. Your card is saved with Stripe and not charged today.",
  },
  {
    title: "One code",
    text: "We email you a code. Once you enter it, your account is yours: no password to remember.",
  },
  {
    title: "Set up while you watch",
    text: "Your billing, your trial and your welcome email are set up in the background, step by step, then you land on your dashboard.",
  },
];

/** What onramp does, its plans, and the way in. */
export default async function HomePage() {
  await connection(); // the trial length is the server's configuration, read per request
  const days = trialDays();
  return (
    <PageShell
      width="xl"
      actions={
        <>
          <ButtonLink href={paths.signIn} variant="ghost">
            Sign in
          </ButtonLink>
          <ButtonLink href={paths.signUp}>Start free trial</ButtonLink>
        </>
      }
    >
      <section className="max-w-3xl">
        <h1 className="text-4xl font-semibold tracking-tight text-slate-900 sm:text-5xl">
          Sign up once. Everything else is set up for you.
        </h1>
        <p className="mt-4 text-lg text-slate-600">
          Pick a plan, add a card and confirm your email.{" "}
          {days > 0 ? `Your ${days}-day free trial starts at once` : "Your plan starts at once"},
          and your account, billing and welcome email are set up while you watch.
        </p>
        <div className="mt-8 flex flex-wrap gap-3">
          <ButtonLink href={paths.signUp}>Start your free trial</ButtonLink>
          <ButtonLink href={paths.signIn} variant="secondary">
            I have an account
          </ButtonLink>
        </div>
      </section>

      <section aria-labelledby="how-it-works" className="mt-16">
        <h2 id="how-it-works" className="text-xl font-semibold text-slate-900">
          How it works
        </h2>
        <ol className="mt-6 grid gap-4 sm:grid-cols-3">
          {steps.map((step, index) => (
            <li
              key={step.title}
              className="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200"
            >
              <span
                aria-hidden="true"
                className="grid size-8 place-items-center rounded-full bg-brand-50 text-sm font-semibold text-brand-700"
              >
                {index + 1}
              </span>
              <h3 className="mt-4 font-semibold text-slate-900">{step.title}</h3>
              <p className="mt-1 text-sm text-slate-600">{step.text}</p>
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="plans" className="mt-16">
        <h2 id="plans" className="text-xl font-semibold text-slate-900">
          Plans
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          {days > 0
            ? `Every plan starts with a ${days}-day free trial. Cancel any time before it ends and you pay nothing.`
            : "Billed monthly. Cancel any time."}
        </p>
        <div className="mt-6 grid gap-4 sm:grid-cols-2">
          {planOptions().map((plan) => (
            <Card key={plan.tier} className="flex flex-col">
              <div className="flex flex-1 flex-col" data-plan={plan.tier}>
                <PlanSummary plan={plan} trialDays={days} />
              </div>
              <ButtonLink
                href={`${paths.signUp}?${new URLSearchParams({ plan: plan.tier })}`}
                variant="secondary"
                className="mt-6"
              >
                Start with {plan.name}
              </ButtonLink>
            </Card>
          ))}
        </div>
      </section>
    </PageShell>
  );
}
