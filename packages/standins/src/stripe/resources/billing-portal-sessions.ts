import { newId, type Json, type Reply } from "../../standin";
import { missing, parameterMissing } from "../errors";
import { fixture } from "../fixtures";
import { ok, type Route } from "../router";
import type { StripeState } from "../state";

/** Customer Portal sessions: a link where the customer manages their subscriptions. */
export class BillingPortalSessions {
  constructor(private readonly state: StripeState) {}

  routes(): Route[] {
    return [
      {
        method: "POST",
        path: "/billing_portal/sessions",
        params: "Stripe.BillingPortal.SessionCreateParams",
        handle: ({ body }) => this.create(body),
      },
    ];
  }

  private create(body: Json): Reply {
    if (!body.customer) return parameterMissing("customer");
    if (!this.state.customers.has(body.customer))
      return missing("customer", body.customer, "customer");
    const id = newId("bps_");
    const session: Json = {
      ...fixture("billing_portal.session"),
      id,
      created: this.state.now(),
      customer: body.customer,
      flow: null,
      livemode: false,
      return_url: body.return_url ?? null,
      url: this.state.hostedPagesUrl
        ? `${this.state.hostedPagesUrl}/portal/${id}`
        : `https://billing.stripe.com/p/session/test_${newId("", 32)}`,
    };
    this.state.portalSessions.set(id, session);
    return ok(session);
  }
}
