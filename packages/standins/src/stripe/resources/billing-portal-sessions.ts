import type Stripe from "stripe";
import { newId, type Reply } from "../../standin";
import { missing, parameterMissing } from "../errors";
import { fixture } from "../fixtures";
import { text } from "../params";
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
        handle: ({ body }) => {
          const customer = text(body.customer);
          if (!customer) return parameterMissing("customer");
          return this.create({ customer, return_url: text(body.return_url) });
        },
      },
    ];
  }

  private create(params: Stripe.BillingPortal.SessionCreateParams): Reply {
    const { customer } = params;
    if (!customer || !this.state.customers.has(customer))
      return missing("customer", customer ?? "", "customer");
    const id = newId("bps_");
    const { hostedPagesUrl } = this.state;
    const session: Stripe.BillingPortal.Session = {
      ...fixture("billing_portal.session"),
      id,
      created: this.state.now(),
      customer,
      flow: null,
      livemode: false,
      return_url: params.return_url ?? null,
      url: hostedPagesUrl
        ? `${hostedPagesUrl}/portal/${id}`
        : `https://billing.stripe.com/p/session/test_${newId("", 32)}`,
    };
    this.state.portalSessions.set(id, session);
    return ok(session);
  }
}
