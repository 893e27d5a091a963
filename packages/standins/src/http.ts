/** What every stand-in shares: the msw-backed base class, serving one on a real port, canonical JSON. */
export { canonical } from "./canonical-json";
export { serveHandler, serveStandIn, type Served, type ServedStandIn } from "./serve";
export type { InjectedFailure, PathMatcher, Recorded } from "./standin";
