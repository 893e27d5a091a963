import { queueEvent } from "@/inngest/queue-event";
import { receiveStripeWebhook } from "@/lib/webhooks/stripe";

export function POST(request: Request) {
  return receiveStripeWebhook(request, queueEvent);
}
