import type { Incoming, Reply } from "../standin";
import { fail, missing, parameterUnknown } from "./errors";
import { isParams, type Params } from "./params";
import { sdkParams } from "./sdk-params";

/** A request as a route's handler sees it: the path's object id, the parsed body and query. */
export interface RouteRequest {
  /** the path's `:id` segment ("" when the path has none) */
  id: string;
  body: Params;
  query: Params;
}

/** One Stripe endpoint a resource module serves. */
export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** the path after `/v1`, with `:id` where the object's id goes: "/customers/:id/confirm" */
  path: string;
  /**
   * The SDK's request type for this endpoint ("Stripe.CustomerCreateParams"): a top-level
   * parameter it does not declare is answered as Stripe does, 400 parameter_unknown. Omitted:
   * parameters go unchecked.
   */
  params?: string;
  handle(req: RouteRequest): Reply;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });

/** A handler for GET of one object by the path's id: the object, or Stripe's resource_missing. */
export const retrieve =
  (objects: ReadonlyMap<string, unknown>, kind: string) =>
  ({ id }: RouteRequest): Reply => {
    const object = objects.get(id);
    return object ? ok(object) : missing(kind, id);
  };

/**
 * Finds the route for a request, refuses parameters the pinned API version does not know, and
 * runs it; a request no route serves is a violation (the stand-in lacks the endpoint).
 */
export class StripeRouter {
  private accepted: Map<string, Set<string>> | null = null;

  constructor(
    private readonly routes: readonly Route[],
    private readonly violations: string[],
  ) {}

  dispatch(req: Incoming): Reply {
    const { method, path, query } = req;
    const body: unknown = req.body;
    const found = this.match(method, path);
    if (!found) {
      this.violations.push(`stripe stand-in does not implement ${method} ${path}`);
      return fail(404, {
        type: "invalid_request_error",
        message: `Unrecognized request URL (${method}: ${path}).`,
      });
    }
    const { route, id } = found;
    if (route.params) {
      const accepted = this.acceptedParams().get(route.params);
      const sent = Object.keys({ ...query, ...(method === "GET" || !isParams(body) ? {} : body) });
      const unknown = accepted && sent.find((k) => !accepted.has(k));
      if (unknown) {
        this.violations.push(`${method} ${route.path}: unknown parameter ${unknown}`);
        return parameterUnknown(unknown);
      }
    }
    return route.handle({ id, body: isParams(body) ? body : {}, query });
  }

  /** The route whose path fits, a literal segment winning over `:id` ("/customers/search"). */
  private match(method: string, path: string): { route: Route; id: string } | undefined {
    const segments = path.split("/").filter(Boolean);
    if (segments[0] !== "v1") return undefined;
    const rest = segments.slice(1);
    let best: { route: Route; id: string; ids: number } | undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const pattern = route.path.split("/").filter(Boolean);
      if (pattern.length !== rest.length) continue;
      if (!pattern.every((p, i) => p === ":id" || p === rest[i])) continue;
      const ids = pattern.filter((p) => p === ":id").length;
      if (!best || ids < best.ids) best = { route, id: rest[pattern.indexOf(":id")] ?? "", ids };
    }
    return best;
  }

  /** Read once, when the first request comes: a stand-in that serves nothing never compiles. */
  private acceptedParams(): Map<string, Set<string>> {
    this.accepted ??= sdkParams(this.routes.flatMap((r) => (r.params ? [r.params] : [])));
    return this.accepted;
  }
}
