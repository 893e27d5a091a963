import { signedInUserId } from "@/lib/auth";
import { statusChange } from "@/lib/onboarding/status-changes";

/** Where the platform limits a request's duration (Vercel), enough for one held request. */
export const maxDuration = 30;

const noStore = { "cache-control": "no-store" };

/**
 * The signed-in user's onboarding progress, with an ETag. `If-None-Match` makes it conditional
 * (304 while unchanged); `?wait=<etag>` is a long poll: answered as soon as the status differs
 * from that ETag, or with 304 after a while (lib/onboarding/status-changes), or at once when the
 * status is final or the user already has requests held. A plain GET answers at once.
 */
export async function GET(request: Request) {
  const userId = await signedInUserId(request);
  if (!userId) return Response.json({ error: "signed_out" }, { status: 401, headers: noStore });

  const wait = new URL(request.url).searchParams.get("wait");
  const { status, etag, changed } = await statusChange(userId, {
    seen: wait === null ? entityTags(request.headers.get("if-none-match")) : entityTags(wait),
    wait: wait !== null,
    signal: request.signal,
  });
  const headers = { ...noStore, etag };
  if (!changed) return new Response(null, { status: 304, headers });
  return Response.json(status, { headers });
}

/** The tags of an If-None-Match list (weak ones compare equal too: this is a GET), quoted. */
function entityTags(header: string | null): string[] {
  if (!header) return [];
  return header
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .filter(Boolean)
    .map((tag) => (tag.startsWith('"') ? tag : `"${tag}"`));
}
