import type Stripe from "stripe";
import { readContractJson } from "../openapi";
import { clone } from "../standin";

/**
 * An invoice as the stand-in serves it: fixtures3.json still carries the `subscription` field
 * (moved under `parent` in 2025), and the stand-in fills it; onramp reads neither.
 */
export type StandInInvoice = Stripe.Invoice & { subscription: string | null };

/** The fixtures the stand-in starts objects from, by their name in fixtures3.json. */
interface Fixtures {
  customer: Stripe.Customer;
  price: Stripe.Price;
  payment_method: Stripe.PaymentMethod;
  setup_intent: Stripe.SetupIntent;
  subscription: Stripe.Subscription;
  invoice: StandInInvoice;
  invoice_payment: Stripe.InvoicePayment;
  payment_intent: Stripe.PaymentIntent;
  refund: Stripe.Refund;
  "checkout.session": Stripe.Checkout.Session;
  "billing_portal.session": Stripe.BillingPortal.Session;
  event: Stripe.Event;
}

/** Stripe's own response fixtures (stripe/openapi fixtures3.json): every object starts from one. */
const fixtures = readContractJson("stripe", "fixtures3.json").resources as Fixtures;

export const fixture = <K extends keyof Fixtures>(name: K): Fixtures[K] => clone(fixtures[name]);
