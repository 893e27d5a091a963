import { inject } from "vitest";

// Runs before each test file's imports, so lib/env sees the Neon endpoint as DATABASE_URL.
const { connectionString, fetchEndpoint } = inject("neonHttp");
process.env.DATABASE_URL = connectionString;
process.env.NEON_FETCH_ENDPOINT = fetchEndpoint;
