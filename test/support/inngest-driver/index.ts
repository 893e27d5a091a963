/**
 * A test-only stand-in for the Inngest server: driver.ts runs an app's functions over the SDK's
 * HTTP protocol (protocol.ts), http.ts is its HTTP API (the event API among it), server.ts
 * serves that as the app's INNGEST_BASE_URL, and cli.ts runs it standalone.
 */
export {
  InngestDriver,
  type DriverOptions,
  type ReceivedEvent,
  type RunStatus,
  type RunView,
  type TimelineEntry,
} from "./driver";
export { driverHandler, EventRejected } from "./http";
export type { EventPayload, FunctionConfig } from "./protocol";
export { serveInngestDriver, type ServedDriver } from "./server";
