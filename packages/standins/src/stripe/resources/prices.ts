import type Stripe from "stripe";
import { fixture } from "../fixtures";
import type { StripeState } from "../state";

/** The price catalogue: seeded, never created over the API (onramp only reads prices). */
export class Prices {
  constructor(private readonly state: StripeState) {}

  add(overrides: Partial<Stripe.Price> & { id: string }): Stripe.Price {
    const price: Stripe.Price = { ...fixture("price"), created: this.state.now(), ...overrides };
    this.state.prices.set(price.id, price);
    return price;
  }

  /** The price by id, made on the spot for an id the catalogue lacks (as a seeded test expects). */
  get(id: string): Stripe.Price {
    return this.state.prices.get(id) ?? this.add({ id });
  }

  /** The plan catalogue's prices (vitest.config.ts env) plus the fixture's own price. */
  seed(): void {
    const ids = [
      process.env.STRIPE_PRICE_PRO ?? "price_pro_test",
      process.env.STRIPE_PRICE_ENTERPRISE ?? "price_enterprise_test",
      fixture("price").id,
    ];
    for (const id of ids) this.add({ id });
  }
}
