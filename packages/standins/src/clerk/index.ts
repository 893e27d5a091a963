/** Clerk: the Backend API (backend-api.ts), the Frontend API clerk-js talks to, and session tokens. */
export { ClerkStandIn, deepMerge, type SeedUser } from "./backend-api";
export { FakeClerkFrontend, sessionToken } from "./frontend-api";
export { instanceKeys, mintSessionToken } from "./session";
