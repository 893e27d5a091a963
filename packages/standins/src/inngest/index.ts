/**
 * Inngest's stand-in: one executor of the SDK's HTTP protocol (executor.ts) on two clocks.
 * InngestSim (sim.ts) simulates time and calls serve handlers in this process, for function
 * tests; InngestDriver (driver.ts) runs in real time against an app's URL, served over HTTP
 * (http.ts, server.ts, cli.ts) as the app's INNGEST_BASE_URL, for the browser suite and demo mode.
 */
export { InngestDriver, type DriverOptions } from "./driver";
export type { EventInput, Faults } from "./executor";
export type { ExecutionMode } from "./protocol";
export { driverHandler } from "./http";
export { viewOf, type Run, type RunView } from "./run";
export { serveInngestDriver, type ServedDriver } from "./server";
export { InngestSim, runFunction } from "./sim";
export { duration } from "./time";
export { UnsupportedExpressionError, compileExpression } from "./expression";
export { InngestStandIn, type ReceivedEvent } from "./event-api";
