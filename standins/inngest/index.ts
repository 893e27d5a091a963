/**
 * Inngest's stand-in: one executor of the SDK's HTTP protocol (executor.ts) on two clocks.
 * InngestSim (sim.ts) simulates time and calls serve handlers in this process, for function
 * tests; InngestDriver (driver.ts) runs in real time against an app's URL, served over HTTP
 * (http.ts, server.ts, cli.ts) as the app's INNGEST_BASE_URL, for the browser suite and demo mode.
 */
export { InngestDriver, EventRejected, type DriverOptions } from "./driver";
export type { EventInput, ReceivedEvent } from "./executor";
export { driverHandler } from "./http";
export type { InngestEvent } from "./protocol";
export {
  viewOf,
  type HistoryEntry,
  type RetryRecord,
  type Run,
  type RunStatus,
  type RunView,
  type WaitRecord,
} from "./run";
export { serveInngestDriver, type ServedDriver } from "./server";
export { InngestSim, runFunction, type InngestSimOptions } from "./sim";
export { duration } from "./time";
