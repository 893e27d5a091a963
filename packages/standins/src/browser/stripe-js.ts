// A stand-in for Stripe.js, installed as `window.Stripe` before the page's own scripts run.
// @stripe/stripe-js's loadStripe() uses an existing window.Stripe instead of injecting
// https://js.stripe.com (node_modules/@stripe/stripe-js/dist/index.mjs: `if (window.Stripe)
// resolve(window.Stripe)`), so the app runs its real code against this. It implements what the
// app and @stripe/react-stripe-js call: Stripe(pk, options), elements() with create/submit/update,
// a Payment Element (rendered as plain inputs in place of Stripe's iframe), createConfirmationToken
// and handleNextAction (with a 3-D Secure dialog like Stripe's test page). Every call is reported
// through `__onrampStripe` to standins/stripe/stripe-js.ts (a Playwright binding in the browser
// suite, a fetch to the stand-in in demo mode), which also decides the outcomes.
//
// A browser script, not a module: standins/browser/scripts.ts compiles it with TypeScript's
// transpileModule, for Playwright's addInitScript or for demo mode's script.

(() => {
  type Json = Record<string, unknown>;
  type Listener = (event?: unknown) => void;
  type StripeError = { type: string; code?: string; message: string };
  type Report = (op: string, payload: Json) => Promise<Json>;

  const report: Report = (op, payload) =>
    (window as unknown as { __onrampStripe: Report }).__onrampStripe(op, payload);

  const luhn = (digits: string) => {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let digit = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    return sum % 10 === 0;
  };

  /** The same checks and words as Stripe's Payment Element on submit. */
  function validate(card: { number: string; expiry: string; cvc: string }): StripeError | null {
    const number = card.number.replace(/\s/g, "");
    const invalid = (code: string, message: string) => ({
      type: "validation_error",
      code,
      message,
    });
    if (number.length === 0 || number.length < 16) {
      return invalid("incomplete_number", "Your card number is incomplete.");
    }
    if (!/^\d{16}$/.test(number) || !luhn(number)) {
      return invalid("invalid_number", "Your card number is invalid.");
    }
    const expiry = /^(\d{2})\s*\/\s*(\d{2})$/.exec(card.expiry);
    if (!expiry) return invalid("incomplete_expiry", "Your card's expiration date is incomplete.");
    const month = Number(expiry[1]);
    const year = 2000 + Number(expiry[2]);
    const now = new Date();
    if (month < 1 || month > 12) {
      return invalid("invalid_expiry_month", "Your card's expiration date is invalid.");
    }
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
      return invalid("invalid_expiry_year_past", "Your card's expiration year is in the past.");
    }
    if (!/^\d{3,4}$/.test(card.cvc)) {
      return invalid("incomplete_cvc", "Your card's security code is incomplete.");
    }
    return null;
  }

  function field(label: string, name: string, placeholder: string, autocomplete: string) {
    const wrapper = document.createElement("label");
    wrapper.style.cssText =
      "display:flex;flex-direction:column;gap:4px;font:500 13px system-ui;color:#30313d";
    wrapper.textContent = label;
    const input = document.createElement("input");
    input.name = name;
    input.placeholder = placeholder;
    input.setAttribute("autocomplete", autocomplete);
    input.inputMode = "numeric";
    input.style.cssText =
      "width:100%;min-width:0;box-sizing:border-box;font:16px system-ui;padding:10px 12px;border:1px solid #e6e6e6;border-radius:8px;box-shadow:0 1px 1px rgba(0,0,0,.03),0 3px 6px rgba(0,0,0,.02);outline-color:#2c55db";
    wrapper.append(input);
    return { wrapper, input };
  }

  class PaymentElement {
    private listeners = new Map<string, Set<Listener>>();
    private root: HTMLElement | null = null;
    readonly inputs: Record<"number" | "expiry" | "cvc", HTMLInputElement | null> = {
      number: null,
      expiry: null,
      cvc: null,
    };

    constructor(readonly options: Json) {}

    on(event: string, listener: Listener) {
      if (!this.listeners.has(event)) this.listeners.set(event, new Set());
      this.listeners.get(event)!.add(listener);
      return this;
    }
    off(event: string, listener: Listener) {
      this.listeners.get(event)?.delete(listener);
      return this;
    }
    private emit(event: string, payload?: unknown) {
      for (const listener of this.listeners.get(event) ?? []) listener(payload);
    }

    mount(target: HTMLElement | string) {
      const node =
        typeof target === "string" ? document.querySelector<HTMLElement>(target) : target;
      if (!node) throw new Error("fake Stripe: mount target not found");
      const root = document.createElement("div");
      root.dataset.fakeStripe = "payment-element";
      root.style.cssText = "display:grid;grid-template-columns:1fr 1fr;gap:12px";
      const number = field("Card number", "cardnumber", "1234 1234 1234 1234", "cc-number");
      number.wrapper.style.gridColumn = "1 / -1";
      const expiry = field("Expiration date", "exp-date", "MM / YY", "cc-exp");
      const cvc = field("Security code", "cvc", "CVC", "cc-csc");
      root.append(number.wrapper, expiry.wrapper, cvc.wrapper);
      node.append(root);
      this.root = root;
      this.inputs.number = number.input;
      this.inputs.expiry = expiry.input;
      this.inputs.cvc = cvc.input;
      for (const input of [number.input, expiry.input, cvc.input]) {
        input.addEventListener("input", () => {
          const card = this.card();
          this.emit("change", {
            elementType: "payment",
            empty: !card.number && !card.expiry && !card.cvc,
            complete: validate(card) === null,
            value: { type: "card" },
          });
        });
      }
      setTimeout(() => this.emit("ready", { elementType: "payment" }), 0);
    }

    card() {
      return {
        number: this.inputs.number?.value ?? "",
        expiry: this.inputs.expiry?.value ?? "",
        cvc: this.inputs.cvc?.value ?? "",
      };
    }

    update(options: Json) {
      Object.assign(this.options, options);
    }
    focus() {
      this.inputs.number?.focus();
    }
    blur() {}
    clear() {
      for (const input of Object.values(this.inputs)) if (input) input.value = "";
    }
    collapse() {}
    unmount() {
      this.root?.remove();
      this.root = null;
    }
    destroy() {
      this.unmount();
      this.listeners.clear();
    }
  }

  class Elements {
    private element: PaymentElement | null = null;
    constructor(readonly options: Json) {}

    create(type: string, options: Json = {}) {
      if (type !== "payment") throw new Error(`fake Stripe: only the Payment Element, not ${type}`);
      this.element = new PaymentElement(options);
      void report("elements.create", { type, options, elementsOptions: this.options });
      return this.element;
    }
    getElement(type: string) {
      return type === "payment" ? this.element : null;
    }
    update(options: Json) {
      Object.assign(this.options, options);
    }
    async fetchUpdates() {
      return {};
    }
    async submit(): Promise<{ error?: StripeError }> {
      if (!this.element)
        return { error: { type: "validation_error", message: "No Payment Element." } };
      const error = validate(this.element.card());
      void report("elements.submit", { error });
      return error ? { error } : {};
    }
    card() {
      return this.element?.card() ?? null;
    }
  }

  /** Stripe's test 3-D Secure page, as a dialog: the test completes or fails it. */
  function threeDSecureDialog(): Promise<"complete" | "fail"> {
    return new Promise((resolve) => {
      const backdrop = document.createElement("div");
      backdrop.style.cssText =
        "position:fixed;inset:0;background:rgba(15,23,42,.55);display:grid;place-items:center;z-index:2147483647";
      const dialog = document.createElement("div");
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-label", "3D Secure 2 Test Page");
      dialog.style.cssText =
        "background:#fff;border-radius:12px;padding:24px;width:min(360px,90vw);font:14px system-ui;color:#30313d;box-shadow:0 20px 40px rgba(0,0,0,.3)";
      const title = document.createElement("h2");
      title.textContent = "3D Secure 2 Test Page";
      title.style.cssText = "font:600 18px system-ui;margin:0 0 8px";
      const text = document.createElement("p");
      text.textContent = "Complete or fail this test authentication.";
      text.style.margin = "0 0 16px";
      const buttons = document.createElement("div");
      buttons.style.cssText = "display:flex;gap:8px";
      for (const [label, outcome, color] of [
        ["Complete", "complete", "#2c55db"],
        ["Fail", "fail", "#b91c1c"],
      ] as const) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = label;
        button.style.cssText = `flex:1;padding:10px;border:0;border-radius:8px;color:#fff;font:600 14px system-ui;background:${color};cursor:pointer`;
        button.addEventListener("click", () => {
          backdrop.remove();
          resolve(outcome);
        });
        buttons.append(button);
      }
      dialog.append(title, text, buttons);
      backdrop.append(dialog);
      document.body.append(backdrop);
    });
  }

  const unsupported = (name: string) => async () => {
    throw new Error(`fake Stripe: ${name} is not used by onramp`);
  };

  function Stripe(publishableKey: string, options: Json = {}) {
    if (!/^pk_(test|live)_/.test(publishableKey)) throw new Error("Invalid publishable key");
    void report("Stripe", { publishableKey, options });
    return {
      elements(elementsOptions: Json = {}) {
        return new Elements({ ...elementsOptions });
      },
      async createConfirmationToken({ elements, params }: { elements: Elements; params?: Json }) {
        const result = await report("createConfirmationToken", {
          card: elements.card(),
          elementsOptions: elements.options,
          params: params ?? null,
        });
        return result.error
          ? { error: result.error }
          : { confirmationToken: result.confirmationToken };
      },
      async handleNextAction({ clientSecret }: { clientSecret: string }) {
        const outcome = await threeDSecureDialog();
        return report("handleNextAction", { clientSecret, outcome });
      },
      // Not used by onramp; present because @stripe/react-stripe-js checks for them.
      createToken: unsupported("createToken"),
      createPaymentMethod: unsupported("createPaymentMethod"),
      confirmCardPayment: unsupported("confirmCardPayment"),
      registerAppInfo() {},
      _registerWrapper() {},
    };
  }
  // The release train @stripe/stripe-js 10 expects; anything else logs a version warning.
  Stripe.version = "endive";

  (window as unknown as { Stripe: typeof Stripe }).Stripe = Stripe;
})();
