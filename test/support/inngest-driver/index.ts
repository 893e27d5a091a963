/**
 * A test-only stand-in for the Inngest server: driver.ts runs an app's functions over the SDK's
 * HTTP protocol, server.ts serves it as the app's INNGEST_BASE_URL, cli.ts runs it standalone.
 */
export {
  EventRejected,
  InngestDriver,
  type DriverOptions,
  type ReceivedEvent,
  type RunStatus,
  type RunView,
  type TimelineEntry,
} from "./driver";
export type { EventPayload, FunctionConfig } from "./protocol";
export { serveInngestDriver, type ServedDriver } from "./server";
