import Stripe from "stripe";

/** Stripe's own SDK pointed at the stand-in as setupVendors serves it, without retries. */
export const stripeSdk = () =>
  new Stripe("sk_test_onramp", {
    host: "stripe.test",
    port: 80,
    protocol: "http",
    maxNetworkRetries: 0,
  });
