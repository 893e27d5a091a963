import { verifyWebhook } from "@clerk/backend/webhooks";
import { env } from "@/lib/env";
import {
  forward,
  isPlainObject,
  notConfigured,
  payloadTooLarge,
  readBodyWithin,
  rejected,
  type ForwardedEvent,
  type QueueEvent,
} from "./ingress";

/** A Clerk webhook body as Inngest event `clerk/<type>`, its `data` untouched. */
export function clerkEvent(svixId: string, payload: unknown): ForwardedEvent | null {
  if (!isPlainObject(payload) || typeof payload.type !== "string" || !payload.type) return null;
  if (!isPlainObject(payload.data)) return null;
  return { id: `clerk-${svixId}`, name: `clerk/${payload.type}`, data: payload.data };
}

/**
 * POST /api/webhooks/clerk: verify the Svix signature on the raw body (Clerk's verifyWebhook also
 * refuses timestamps more than 5 minutes off), then queue the event. Nothing else happens here.
 */
export async function receiveClerkWebhook(request: Request, queue: QueueEvent): Promise<Response> {
  const signingSecret = env.CLERK_WEBHOOK_SIGNING_SECRET;
  if (!signingSecret) return notConfigured("CLERK_WEBHOOK_SIGNING_SECRET");

  const body = await readBodyWithin(request);
  if (body === null) return payloadTooLarge();

  // verifyWebhook reads the body itself: hand it the bytes already read within the limit.
  const delivery = new Request(request.url, { method: "POST", headers: request.headers, body });
  let payload: unknown;
  try {
    payload = await verifyWebhook(delivery, { signingSecret });
  } catch (error) {
    return rejected(`Invalid Clerk webhook: ${error instanceof Error ? error.message : error}`);
  }

  const event = clerkEvent(request.headers.get("svix-id")!.trim(), payload);
  if (!event) return rejected("Invalid Clerk webhook: not an event with a type and data");
  return forward(event, Buffer.byteLength(body), queue);
}
