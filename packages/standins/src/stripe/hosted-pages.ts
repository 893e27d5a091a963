import type Stripe from "stripe";
import type { StripeStandIn } from "./api";
import { onlyItem } from "./resources/subscriptions";
import { testCardOutcomes } from "./stripe-js";

/**
 * Stripe's hosted pages for demo mode, where the app sends a browser for them: Checkout
 * (`/checkout/:session`: pay for seats with a test card, then back to `success_url`) and the
 * Customer Portal (`/portal/:session`: change seats, cancel, back to `return_url`). What they do
 * goes through the Stripe stand-in as Stripe's own pages would, so the subscription events reach
 * the app as webhooks. Plain HTML forms: no script.
 */
export function hostedPagesHandler(stripe: StripeStandIn) {
  return async (request: Request): Promise<Response | null> => {
    const { pathname } = new URL(request.url);
    const checkout = /^\/checkout\/([\w-]+)$/.exec(pathname)?.[1];
    if (checkout) return checkoutPage(stripe, checkout, request);
    const portal = /^\/portal\/([\w-]+)$/.exec(pathname)?.[1];
    if (portal) return portalPage(stripe, portal, request);
    return null;
  };
}

const escape = (value: unknown) =>
  String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const money = (cents: number | null, currency: string) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency }).format((cents ?? 0) / 100);

const priceName = (price: Stripe.Price) => price.nickname ?? price.id;

function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: #1a1f36; background: #f6f9fc; }
  .ribbon { background: #fef3c7; color: #78350f; padding: 8px 16px; font-size: 13px; text-align: center; }
  main { max-width: 480px; margin: 0 auto; padding: 24px 16px 48px; }
  h1 { font-size: 22px; margin: 8px 0 4px; }
  .muted { color: #697386; font-size: 13px; margin: 0; }
  .card { background: #fff; border-radius: 12px; padding: 20px; margin-top: 16px; box-shadow: 0 1px 3px rgba(50,50,93,.15); }
  label { display: block; font-weight: 500; font-size: 13px; margin-top: 12px; }
  input { width: 100%; font: 16px system-ui; padding: 10px 12px; margin-top: 4px; border: 1px solid #e0e6eb; border-radius: 8px; }
  .row { display: flex; gap: 12px; } .row > * { flex: 1; min-width: 0; }
  button { font: 600 15px system-ui; border: 0; border-radius: 8px; padding: 11px 16px; cursor: pointer; background: #635bff; color: #fff; }
  button.secondary { background: #fff; color: #1a1f36; box-shadow: inset 0 0 0 1px #e0e6eb; }
  button.danger { background: #fff; color: #b91c1c; box-shadow: inset 0 0 0 1px #fecaca; }
  .wide { width: 100%; margin-top: 16px; }
  .error { background: #fef2f2; color: #991b1b; border-radius: 8px; padding: 10px 12px; margin-top: 12px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 12px 0 0; font-size: 14px; }
  dt { color: #697386; } dd { margin: 0; }
  a { color: #635bff; font-weight: 600; }
  code { background: #f1f5f9; padding: 1px 4px; border-radius: 4px; font-size: 13px; }
</style></head>
<body><div class="ribbon" role="note">Demo mode: this page is onramp's simulation of Stripe, on your machine. No real card is charged.</div>
<main>${body}</main></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

const redirect = (to: string) => new Response(null, { status: 303, headers: { location: to } });

/** Whether a test card number is well formed (16 digits, Luhn), as Checkout checks it. */
function wellFormed(number: string) {
  if (!/^\d{16}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

async function checkoutPage(stripe: StripeStandIn, id: string, request: Request) {
  const session = stripe.checkoutSessions.get(id);
  const order = stripe.checkoutOrder(id);
  if (!session || !order) return page("Checkout", "<h1>This Checkout link is not valid.</h1>", 404);
  if (session.status !== "open") {
    return page(
      "Checkout",
      `<h1>This Checkout is ${escape(session.status)}.</h1><p><a href="${escape(session.success_url)}">Back to the app</a></p>`,
    );
  }

  let error = "";
  let quantity = order.quantity;
  if (request.method === "POST") {
    const form = new URLSearchParams(await request.text());
    quantity = Number(form.get("quantity"));
    const number = (form.get("cardnumber") ?? "").replace(/\s/g, "");
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 1000) {
      error = "Choose a whole number of seats from 1 to 1000.";
    } else if (!wellFormed(number)) {
      error = "Your card number is invalid.";
    } else if (testCardOutcomes[number] === "decline") {
      error = "Your card was declined. Try 4242 4242 4242 4242.";
    } else {
      stripe.payCheckout(id, quantity);
      return redirect(String(session.success_url));
    }
  }

  const { price } = order;
  const each = money(price.unit_amount, price.currency);
  return page(
    "Checkout",
    `<p class="muted">onramp · Stripe Checkout (simulated) · test mode</p>
<h1>Subscribe to ${escape(priceName(price))}</h1>
<p class="muted">${escape(each)} per seat, per month.</p>
<form method="post" class="card" aria-label="Pay">
  <label>Seats<input name="quantity" type="number" min="1" max="1000" value="${escape(quantity)}" required></label>
  <label>Card number<input name="cardnumber" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required></label>
  <div class="row">
    <label>Expiry<input name="exp" placeholder="12 / 34" autocomplete="cc-exp"></label>
    <label>CVC<input name="cvc" placeholder="123" autocomplete="cc-csc"></label>
  </div>
  ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ""}
  <button class="wide" type="submit">Subscribe</button>
  <p class="muted" style="margin-top:12px">Test cards: <code>4242 4242 4242 4242</code> pays; <code>4000 0000 0000 0002</code> is declined.</p>
</form>
<p style="margin-top:16px"><a href="${escape(session.cancel_url)}">← Back without paying</a></p>`,
    error ? 402 : 200,
  );
}

async function portalPage(stripe: StripeStandIn, id: string, request: Request) {
  const session = stripe.portalSessions.get(id);
  if (!session) return page("Billing", "<h1>This billing link is not valid.</h1>", 404);
  const subscriptions = () =>
    [...stripe.subscriptions.values()].filter((sub) => sub.customer === session.customer);

  let error = "";
  if (request.method === "POST") {
    const form = new URLSearchParams(await request.text());
    const sub = subscriptions().find((candidate) => candidate.id === form.get("subscription"));
    const quantity = Number(form.get("quantity"));
    if (!sub || sub.status === "canceled") {
      error = "That subscription can no longer be changed.";
    } else if (form.get("action") === "cancel") {
      stripe.changeSubscription(sub.id, { status: "canceled" });
      return redirect(request.url);
    } else if (!Number.isInteger(quantity) || quantity < 1 || quantity > 1000) {
      error = "Choose a whole number from 1 to 1000.";
    } else {
      stripe.changeSubscription(sub.id, { quantity });
      return redirect(request.url);
    }
  }

  const customer = stripe.customers.get(session.customer);
  const rows = subscriptions().map((sub) => {
    const item = onlyItem(sub);
    const live = sub.status !== "canceled";
    const trialEnd = sub.trial_end ? new Date(sub.trial_end * 1000).toDateString() : null;
    return `<section class="card" aria-label="${escape(priceName(item.price))} subscription">
  <h2 style="margin:0;font-size:17px">${escape(priceName(item.price))}</h2>
  <dl>
    <dt>Status</dt><dd>${escape(sub.status)}</dd>
    <dt>Price</dt><dd>${escape(money(item.price.unit_amount, item.price.currency))} × ${escape(item.quantity)} per month</dd>
    ${trialEnd && sub.status === "trialing" ? `<dt>Trial ends</dt><dd>${escape(trialEnd)}</dd>` : ""}
  </dl>
  ${
    live
      ? `<form method="post" class="row" style="margin-top:12px;align-items:end">
    <input type="hidden" name="subscription" value="${escape(sub.id)}">
    <label style="margin:0">Quantity<input name="quantity" type="number" min="1" max="1000" value="${escape(item.quantity)}"></label>
    <button class="secondary" type="submit" name="action" value="update">Update</button>
  </form>
  <form method="post" style="margin-top:12px">
    <input type="hidden" name="subscription" value="${escape(sub.id)}">
    <button class="danger" type="submit" name="action" value="cancel">Cancel subscription</button>
  </form>`
      : ""
  }
</section>`;
  });
  return page(
    "Billing",
    `<p class="muted">onramp · Stripe Customer Portal (simulated) · test mode</p>
<h1>Billing</h1>
<p class="muted">${escape(customer?.email ?? customer?.name ?? session.customer)}</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ""}
${rows.join("\n") || '<p class="card">No subscriptions.</p>'}
<p style="margin-top:20px"><a href="${escape(session.return_url)}">← Return to onramp</a></p>`,
    error ? 400 : 200,
  );
}
