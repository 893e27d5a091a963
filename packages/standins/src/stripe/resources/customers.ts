import type Stripe from "stripe";
import { newId, type Reply } from "../../standin";
import { fail, missing } from "../errors";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { int, mergeMetadata, metadataParam, nested, text, type Params } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";

/** How long a new customer takes to show in search results, when `eventualSearch` is on. */
const SEARCH_LAG = 60;

/** The fields search can match besides metadata. */
const SEARCHABLE = ["email", "name", "phone", "description"] as const;

/** Customers: create, retrieve, update, delete, list by email, and search (with Stripe's search lag). */
export class Customers {
  /**
   * Real Stripe search is eventually consistent (new objects show up within ~1 min).
   * Set true to model that: a new customer stays invisible to /search for SEARCH_LAG seconds of
   * Stripe's clock, or until `indexSearch()`.
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

  create(fields: Partial<Stripe.Customer> = {}): Stripe.Customer {
    const customer: Stripe.Customer = {
      ...fixture("customer"),
      id: newId("cus_", 14),
      created: this.state.now(),
      discount: null,
      invoice_prefix: newId("", 8).toUpperCase(),
      ...fields,
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
        handle: ({ body }) => {
          const customer = this.create();
          this.apply(customer, readParams(body));
          return ok(customer);
        },
      },
      {
        method: "GET",
        path: "/customers",
        params: "Stripe.CustomerListParams",
        handle: ({ query }) => {
          const email = text(query.email);
          const found = [...customers.values()].filter((c) => !email || c.email === email);
          return list("/v1/customers", found, query);
        },
      },
      {
        method: "GET",
        path: "/customers/search",
        params: "Stripe.CustomerSearchParams",
        handle: ({ query }) =>
          this.search({ query: text(query.query) ?? "", limit: int(query.limit) }),
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
          const customer = customers.get(id);
          if (!customer) return missing("customer", id);
          this.apply(customer, readParams(body));
          return ok(customer);
        },
      },
      {
        method: "DELETE",
        path: "/customers/:id",
        handle: ({ id }) => {
          if (!customers.delete(id)) return missing("customer", id);
          const deleted: Stripe.DeletedCustomer = { id, object: "customer", deleted: true };
          return ok(deleted);
        },
      },
    ];
  }

  /** A create's or an update's fields, as Stripe applies them: "" unsets a field, metadata merges. */
  private apply(customer: Stripe.Customer, params: Stripe.CustomerUpdateParams): void {
    const unset = (value: string | undefined, current: string | null) =>
      value === undefined ? current : value === "" ? null : value;
    customer.email = unset(params.email, customer.email);
    customer.name = unset(params.name, customer.name ?? null);
    customer.phone = unset(params.phone, customer.phone ?? null);
    customer.description = unset(params.description, customer.description);
    customer.metadata = mergeMetadata(customer.metadata, params.metadata);
    const settings = params.invoice_settings;
    if (settings)
      customer.invoice_settings = {
        ...customer.invoice_settings,
        ...(settings.default_payment_method !== undefined && {
          default_payment_method: settings.default_payment_method || null,
        }),
        ...(settings.footer !== undefined && { footer: settings.footer || null }),
      };
  }

  /** Stripe search syntax subset: `field:'v'` / `metadata['k']:'v'` clauses joined by AND or OR. */
  private search({ query: q, limit = 10 }: Stripe.CustomerSearchParams): Reply {
    const joiner = / OR /.test(q) ? "OR" : "AND";
    const clauses = q.split(joiner === "OR" ? / OR / : / AND /).map((c) => c.trim());
    const parsed = clauses.map((c) =>
      /^(?:metadata\[(['"])(.+?)\1\]|(email|name|phone|description)):(['"])(.*)\4$/.exec(c),
    );
    const tests = parsed.flatMap((m) => (m ? [clauseTest(m)] : []));
    if (!q || tests.length < parsed.length) {
      this.violations.push(`stripe stand-in cannot parse search query ${JSON.stringify(q)}`);
      return fail(400, {
        type: "invalid_request_error",
        message: `Invalid search query: ${q}`,
        param: "query",
      });
    }
    const indexed = (c: Stripe.Customer) =>
      this.searchable.has(c.id) || this.state.now() >= c.created + SEARCH_LAG;
    const data = [...this.state.customers.values()].filter(
      (c) =>
        indexed(c) &&
        (joiner === "OR" ? tests.some((test) => test(c)) : tests.every((test) => test(c))),
    );
    const page: Stripe.ApiSearchResult<Stripe.Customer> = {
      object: "search_result",
      data: data.slice(0, limit),
      has_more: data.length > limit,
      next_page: null,
      url: "/v1/customers/search",
    };
    return ok(page);
  }
}

/** One search clause: `metadata['k']:'v'` (groups 2 and 5) or `field:'v'` (groups 3 and 5). */
function clauseTest(m: RegExpExecArray): (customer: Stripe.Customer) => boolean {
  const [, , key, field, , value] = m;
  if (key !== undefined) return (c) => c.metadata[key] === value;
  const name = SEARCHABLE.find((f) => f === field);
  return (c) => name !== undefined && c[name] === value;
}

/** The customer fields the stand-in models, read from a create or an update. */
function readParams(body: Params): Stripe.CustomerUpdateParams {
  const settings = nested(body.invoice_settings);
  return {
    email: text(body.email),
    name: text(body.name),
    phone: text(body.phone),
    description: text(body.description),
    metadata: metadataParam(body.metadata),
    invoice_settings: settings && {
      default_payment_method: text(settings.default_payment_method),
      footer: text(settings.footer),
    },
  };
}
