// `npm run db:migrate`: applies the committed migrations to the database DATABASE_URL names.
import { connect, driverFor } from "@/lib/db/client";
import { env } from "@/lib/env";

const target = env.DATABASE_URL ?? "the embedded database in .data/pglite";
const connection = await connect();
try {
  await connection.migrate();
  console.log(
    `Migrations applied (${driverFor(env.DATABASE_URL, env.NEON_FETCH_ENDPOINT)}): ${redact(target)}`,
  );
} finally {
  await connection.close();
}

function redact(url: string) {
  return url.replace(/\/\/[^@/]+@/, "//***@");
}
