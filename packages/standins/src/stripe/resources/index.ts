import type { Route } from "../router";
import type { StripeState } from "../state";
import { BillingPortalSessions } from "./billing-portal-sessions";
import { CheckoutSessions } from "./checkout-sessions";
import { ConfirmationTokens } from "./confirmation-tokens";
import { Customers } from "./customers";
import { Invoices } from "./invoices";
import { PaymentMethods } from "./payment-methods";
import { Prices } from "./prices";
import { Refunds } from "./refunds";
import { SetupIntents } from "./setup-intents";
import { Subscriptions } from "./subscriptions";

/**
 * Every Stripe resource the stand-in models, wired to the shared state and to the resources each
 * one acts on. A new resource: its module here, its routes in `routes`, its bookkeeping in `reset`.
 */
export function stripeResources(state: StripeState, violations: string[]) {
  const prices = new Prices(state);
  const customers = new Customers(state, violations);
  const confirmationTokens = new ConfirmationTokens(state);
  const paymentMethods = new PaymentMethods(state);
  const setupIntents = new SetupIntents(state, confirmationTokens, paymentMethods);
  const invoices = new Invoices(state, paymentMethods);
  const subscriptions = new Subscriptions(state, prices, paymentMethods, invoices);
  const checkoutSessions = new CheckoutSessions(state, subscriptions, paymentMethods, invoices);
  const refunds = new Refunds(state, violations);
  const billingPortalSessions = new BillingPortalSessions(state);
  const routes: Route[] = [
    customers,
    paymentMethods,
    setupIntents,
    subscriptions,
    invoices,
    refunds,
    checkoutSessions,
    billingPortalSessions,
  ].flatMap((resource) => resource.routes());
  return {
    prices,
    customers,
    confirmationTokens,
    paymentMethods,
    setupIntents,
    invoices,
    subscriptions,
    checkoutSessions,
    routes,
    /** Forgets what the resources keep beside the shared state, and seeds the price catalogue. */
    reset(): void {
      for (const resource of [customers, confirmationTokens, paymentMethods, checkoutSessions])
        resource.reset();
      prices.seed();
    },
  };
}
