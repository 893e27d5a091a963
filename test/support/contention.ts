import pg from "pg";

/**
 * Runs `work` while a second session on the test file's database holds the org's row lock (which
 * every seat change and Checkout claim takes first), and lets go only once `queued` of work's
 * statements are waiting behind it, as pg_stat_activity shows. Those statements were in flight
 * at the same time, and each started before any of them committed: the race the test is about,
 * on every run. Fails if that many never queue up (work ran one statement at a time).
 *
 * On PGlite there is no second session (TEST_POSTGRES_URL is unset: one connection), so work just
 * runs, one statement at a time: the rules are checked, not the race.
 */
export async function whileOrgLocked<T>(
  orgId: string,
  queued: number,
  work: () => Promise<T>,
): Promise<T> {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) return work();

  const holder = new pg.Client(url);
  await holder.connect();
  try {
    await holder.query("begin");
    const locked = await holder.query(
      "select from orgs where clerk_org_id = $1 for no key update",
      [orgId],
    );
    if (locked.rowCount !== 1) throw new Error(`no org row ${orgId} to lock`);
    const pending = work();
    const finishedEarly = pending.then(
      () => "finished",
      () => "finished",
    );
    const deadline = Date.now() + 10_000;
    let most = 0; // the most seen waiting at once, for the failure message
    for (;;) {
      // Inside a transaction Postgres shows the same pg_stat_activity every time unless told.
      await holder.query("select pg_stat_clear_snapshot()");
      const { rows } = await holder.query<{ waiting: number }>(
        `select count(*)::int as waiting from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()
           and wait_event_type = 'Lock'`,
      );
      most = Math.max(most, rows[0]!.waiting);
      if (most >= queued) break;
      const outcome = await Promise.race([
        finishedEarly,
        new Promise((resolve) => setTimeout(resolve, 10, "waiting")),
      ]);
      if (outcome === "finished" || Date.now() > deadline) {
        throw new Error(
          `at most ${most} statements waited on the lock at once; expected ${queued} in flight together`,
        );
      }
    }
    await holder.query("commit");
    return await pending;
  } finally {
    await holder.end();
  }
}
