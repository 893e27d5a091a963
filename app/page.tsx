import Link from "next/link";

export default function Home() {
  return (
    <main className="mx-auto flex max-w-2xl flex-col gap-6 px-6 py-24">
      <h1 className="text-4xl font-semibold tracking-tight">onramp</h1>
      <p className="text-lg text-slate-600">
        Sign up, pick a plan and start your trial. Your account is set up in the background while
        you watch.
      </p>
      <div className="flex gap-3">
        <Link
          href="/sign-up"
          className="rounded-md bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700"
        >
          Start your free trial
        </Link>
        <Link
          href="/sign-in"
          className="rounded-md px-4 py-2 font-medium text-slate-700 hover:bg-slate-100"
        >
          Sign in
        </Link>
      </div>
    </main>
  );
}
