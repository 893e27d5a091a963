import { queueEvent } from "@/inngest/queue-event";
import { receiveClerkWebhook } from "@/lib/webhooks/clerk";

export function POST(request: Request) {
  return receiveClerkWebhook(request, queueEvent);
}
