import { unsubscribeFromEmails, unsubscribingUser } from "@/lib/email/unsubscribe";

/**
 * One-click unsubscribe (RFC 8058): a mail client POSTs `List-Unsubscribe=One-Click` to the URL
 * in the email's List-Unsubscribe header. The link's keyed token names the user; nothing else.
 */
export async function POST(request: Request) {
  const { searchParams } = new URL(request.url);
  const userId = unsubscribingUser(Object.fromEntries(searchParams));
  if (!userId)
    return Response.json({ error: "This unsubscribe link is not valid" }, { status: 400 });
  await unsubscribeFromEmails(userId);
  return Response.json({ unsubscribed: true });
}
