/**
 * A test-only stand-in for the Inngest server: driver.ts runs an app's functions over the SDK's
 * HTTP protocol (protocol.ts) and keeps their runs (run.ts), http.ts is its HTTP API (the event
 * API among it), server.ts serves that as the app's INNGEST_BASE_URL, cli.ts runs it standalone.
 */
export { InngestDriver, type DriverOptions, type ReceivedEvent } from "./driver";
export { driverHandler, EventRejected } from "./http";
export type { EventPayload, FunctionConfig } from "./protocol";
export type { RunStatus, RunView, TimelineEntry } from "./run";
export { serveInngestDriver, type ServedDriver } from "./server";
