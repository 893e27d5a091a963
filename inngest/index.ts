import type { InngestFunction } from "inngest";

/** Every workflow, handed to serve() in app/api/inngest/route.ts. Add new functions here. */
export const functions: InngestFunction.Any[] = [];
