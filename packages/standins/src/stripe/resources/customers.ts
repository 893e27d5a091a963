import type Stripe from "stripe";
import { newId, type Json, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { int, mergeMetadata } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";

/** Customers: create, retrieve, update, delete, list by email, and search (with Stripe's search lag). */
export class Customers {
  /**
   * Real Stripe search is eventually consistent (new objects show up within ~1 min).
   * Set true to model that: new customers stay invisible to /search until `indexSearch()`.
   */
  eventualSearch = false;
  private searchable = new Set<string>();

  constructor(
    private readonly state: StripeState,
    private readonly violations: string[],
  ) {}

  reset(): void {
    this.searchable.clear();
    this.eventualSearch = false;
  }

  create(params: Partial<Stripe.Customer> = {}): Stripe.Customer {
    const customer: Json = {
      ...fixture("customer"),
      id: newId("cus_", 14),
      created: this.state.now(),
      discount: null,
      invoice_prefix: newId("", 8).toUpperCase(),
      ...params,
    };
    this.state.customers.set(customer.id, customer);
    if (!this.eventualSearch) this.searchable.add(customer.id);
    return customer;
  }

  /** Let search see customers created while `eventualSearch` was on. */
  indexSearch(): void {
    for (const id of this.state.customers.keys()) this.searchable.add(id);
  }

  routes(): Route[] {
    const { customers } = this.state;
    return [
      {
        method: "POST",
        path: "/customers",
        params: "Stripe.CustomerCreateParams",
        handle: ({ body }) => ok(this.create(this.params(body))),
      },
      {
        method: "GET",
        path: "/customers",
        params: "Stripe.CustomerListParams",
        handle: ({ query }) =>
          list(
            "/v1/customers",
            [...customers.values()].filter((c) => !query.email || c.email === query.email),
            query,
          ),
      },
      {
        method: "GET",
        path: "/customers/search",
        params: "Stripe.CustomerSearchParams",
        handle: ({ query }) => this.search(query),
      },
      {
        method: "GET",
        path: "/customers/:id",
        params: "Stripe.CustomerRetrieveParams",
        handle: retrieve(customers, "customer"),
      },
      {
        method: "POST",
        path: "/customers/:id",
        params: "Stripe.CustomerUpdateParams",
        handle: ({ id, body }) => {
          const c: Json = customers.get(id);
          if (!c) return missing("customer", id);
          const { invoice_settings, ...fields } = this.params(body) as Json;
          Object.assign(c, fields, { metadata: mergeMetadata(c.metadata, body.metadata) });
          if (invoice_settings) c.invoice_settings = { ...c.invoice_settings, ...invoice_settings };
          return ok(c);
        },
      },
      {
        method: "DELETE",
        path: "/customers/:id",
        handle: ({ id }) => {
          if (!customers.delete(id)) return missing("customer", id);
          return ok({ id, object: "customer", deleted: true });
        },
      },
    ];
  }

  private params(body: Json): Partial<Stripe.Customer> {
    const { email, name, phone, description, metadata, invoice_settings } = body;
    const out: Json = {};
    // "" unsets a field in Stripe's form encoding
    for (const [k, v] of Object.entries({ email, name, phone, description }))
      if (v !== undefined) out[k] = v === "" ? null : v;
    if (metadata !== undefined) out.metadata = mergeMetadata({}, metadata);
    if (invoice_settings)
      out.invoice_settings = { ...fixture("customer").invoice_settings, ...invoice_settings };
    return out;
  }

  /** Stripe search syntax subset: `field:'v'` / `metadata['k']:'v'` clauses joined by AND or OR. */
  private search(query: Json): Reply {
    const q = String(query.query ?? "");
    const joiner = / OR /.test(q) ? "OR" : "AND";
    const clauses = q.split(joiner === "OR" ? / OR / : / AND /).map((c) => c.trim());
    const parsed = clauses.map((c) =>
      /^(?:metadata\[(['"])(.+?)\1\]|(email|name|phone|description)):(['"])(.*)\4$/.exec(c),
    );
    if (!q || parsed.some((m) => !m)) {
      this.violations.push(`stripe stand-in cannot parse search query ${JSON.stringify(q)}`);
      return fail(400, {
        type: "invalid_request_error",
        message: `Invalid search query: ${q}`,
        param: "query",
      });
    }
    const test = (c: Json, m: RegExpExecArray) =>
      m[2] !== undefined ? c.metadata?.[m[2]] === m[5] : c[m[3]!] === m[5];
    const data = [...this.state.customers.values()].filter(
      (c) =>
        this.searchable.has(c.id) &&
        (joiner === "OR" ? parsed.some((m) => test(c, m!)) : parsed.every((m) => test(c, m!))),
    );
    const limit = int(query.limit) ?? 10;
    return {
      status: 200,
      body: {
        object: "search_result",
        data: data.slice(0, limit),
        has_more: data.length > limit,
        next_page: null,
        url: "/v1/customers/search",
      },
    };
  }
}
