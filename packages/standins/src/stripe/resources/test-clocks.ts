import type Stripe from "stripe";
import { clone, newId, type Reply } from "../../standin";
import { fail, missing, parameterMissing } from "../errors";
import { idOf } from "../expandable";
import { fixture } from "../fixtures";
import { list } from "../pagination";
import { int, text } from "../params";
import { ok, retrieve, type Route } from "../router";
import type { StripeState } from "../state";
import type { Invoices } from "./invoices";
import { addMonths, onlyItem, type Due, type Subscriptions } from "./subscriptions";

const DAY = 86_400;
/** A test clock deletes itself (and its objects) a week after it was made, as in Stripe's example. */
const LIFETIME = 7 * DAY;
/** Runaway guard: more moments than this in one advance is a loop in the stand-in. */
const MAX_MOMENTS = 10_000;

/**
 * Test clocks (`/v1/test_helpers/test_clocks`): a customer created with `test_clock` lives on the
 * clock's frozen time, and advancing the clock runs, in time order, everything Stripe's billing
 * would have done meanwhile to that customer's subscriptions and invoices (Subscriptions.due,
 * Invoices.due): trial_will_end, the trial's end, renewals, invoices finalized and charged an hour
 * after they are made, Smart Retries and what follows the last, cancellation at the period's end,
 * and incomplete subscriptions expiring after 23 hours. Each sends its events as it happens.
 * Advancing answers `advancing`, as Stripe does; the stand-in has finished by the time anyone
 * asks again, and sends test_helpers.test_clock.ready.
 */
export class TestClocks {
  constructor(
    private readonly state: StripeState,
    private readonly subscriptions: Subscriptions,
    private readonly invoices: Invoices,
  ) {}

  routes(): Route[] {
    const { testClocks } = this.state;
    return [
      {
        method: "POST",
        path: "/test_helpers/test_clocks",
        params: "Stripe.TestHelpers.TestClockCreateParams",
        handle: ({ body }) => {
          const frozenTime = int(body.frozen_time);
          if (frozenTime === undefined) return parameterMissing("frozen_time");
          return ok(this.create({ frozen_time: frozenTime, name: text(body.name) }));
        },
      },
      {
        method: "GET",
        path: "/test_helpers/test_clocks",
        params: "Stripe.TestHelpers.TestClockListParams",
        handle: ({ query }) =>
          list("/v1/test_helpers/test_clocks", [...testClocks.values()], query),
      },
      {
        method: "GET",
        path: "/test_helpers/test_clocks/:id",
        params: "Stripe.TestHelpers.TestClockRetrieveParams",
        handle: retrieve(testClocks, "test_clock"),
      },
      {
        method: "DELETE",
        path: "/test_helpers/test_clocks/:id",
        handle: ({ id }) => this.delete(id),
      },
      {
        method: "POST",
        path: "/test_helpers/test_clocks/:id/advance",
        params: "Stripe.TestHelpers.TestClockAdvanceParams",
        handle: ({ id, body }) => {
          const frozenTime = int(body.frozen_time);
          if (frozenTime === undefined) return parameterMissing("frozen_time");
          return this.advance(id, { frozen_time: frozenTime });
        },
      },
    ];
  }

  create(params: Stripe.TestHelpers.TestClockCreateParams): Stripe.TestHelpers.TestClock {
    const created = this.state.now();
    const clock: Stripe.TestHelpers.TestClock = {
      ...fixture("test_helpers.test_clock"),
      id: newId("clock_"),
      created,
      deletes_after: created + LIFETIME,
      frozen_time: params.frozen_time,
      livemode: false,
      name: params.name ?? null,
      status: "ready",
      status_details: {},
    };
    this.state.testClocks.set(clock.id, clock);
    return clock;
  }

  /**
   * Moves the clock to `frozen_time`, running what falls due on the way in time order. Stripe
   * refuses to go back, and to go further than two billing intervals of the clock's shortest
   * subscription (two years without one).
   */
  advance(id: string, params: Stripe.TestHelpers.TestClockAdvanceParams): Reply {
    const clock = this.state.testClocks.get(id);
    if (!clock) return missing("test_clock", id);
    const target = params.frozen_time;
    if (target <= clock.frozen_time)
      return invalid("The frozen time must be after the test clock's current frozen time.");
    if (target > this.furthest(clock))
      return invalid(
        "The frozen time cannot be more than two intervals in the future from the shortest subscription in this test clock.",
      );
    Object.assign(clock, {
      status: "advancing",
      status_details: { advancing: { target_frozen_time: target } },
    } satisfies Partial<Stripe.TestHelpers.TestClock>);
    const answer = clone(clock);
    this.state.emit("test_helpers.test_clock.advancing", clock);
    for (let moments = 0; ; moments++) {
      if (moments > MAX_MOMENTS) throw new Error(`StripeStandIn: ${id} never stops advancing`);
      const next = this.nextDue(clock, target);
      if (!next) break;
      clock.frozen_time = Math.max(clock.frozen_time, next.at);
      next.run();
    }
    Object.assign(clock, { frozen_time: target, status: "ready", status_details: {} });
    this.state.emit("test_helpers.test_clock.ready", clock);
    return ok(answer);
  }

  /** The customers on the clock. */
  customersOn(clock: Stripe.TestHelpers.TestClock): string[] {
    return [...this.state.customers.values()]
      .filter((customer) => customer.test_clock === clock.id)
      .map((customer) => customer.id);
  }

  /** The earliest thing due on the clock's customers by `target`, if any. */
  nextDue(clock: Stripe.TestHelpers.TestClock, target: number): Due | undefined {
    const due = this.customersOn(clock).flatMap((customer) => [
      ...this.subscriptions.due(customer),
      ...this.invoices.due(customer).map(({ invoice, at }) => ({
        at,
        run: () => this.invoices.runDue(invoice),
      })),
    ]);
    return due.filter((d) => d.at <= target).sort((a, b) => a.at - b.at)[0];
  }

  /** How far the clock may go in one advance. */
  private furthest(clock: Stripe.TestHelpers.TestClock): number {
    const from = clock.frozen_time;
    const limits = [...this.state.subscriptions.values()]
      .filter((sub) => this.customersOn(clock).includes(idOf(sub.customer) ?? ""))
      .map((sub) => {
        const { interval = "month", interval_count = 1 } = onlyItem(sub).price.recurring ?? {};
        const n = 2 * interval_count;
        if (interval === "day") return from + n * DAY;
        if (interval === "week") return from + n * 7 * DAY;
        return addMonths(from, interval === "year" ? 12 * n : n);
      });
    return Math.min(addMonths(from, 24), ...limits);
  }

  /** Deleting a clock deletes the customers on it, with their subscriptions. */
  private delete(id: string): Reply {
    const clock = this.state.testClocks.get(id);
    if (!clock) return missing("test_clock", id);
    for (const customer of this.customersOn(clock)) {
      this.state.customers.delete(customer);
      for (const [subId, sub] of this.state.subscriptions)
        if (idOf(sub.customer) === customer) this.state.subscriptions.delete(subId);
    }
    this.state.testClocks.delete(id);
    const deleted: Stripe.TestHelpers.DeletedTestClock = {
      id,
      object: "test_helpers.test_clock",
      deleted: true,
    };
    return ok(deleted);
  }
}

const invalid = (message: string): Reply =>
  fail(400, { type: "invalid_request_error", param: "frozen_time", message });
