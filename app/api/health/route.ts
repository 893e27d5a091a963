import { checkDatabase } from "@/lib/db/health";

export const dynamic = "force-dynamic";

/** Public: says whether the app can serve, nothing about how it is built (the log has why not). */
export async function GET() {
  const { ok } = await checkDatabase();
  return Response.json(
    { status: ok ? "ok" : "unavailable" },
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
