/** Validates the environment as the server starts: one readable message and exit, not a stack trace. */
export async function validateEnvironmentOrExit() {
  try {
    const { env, inngestDevMode, unsafeInngestDevOptIn } = await import("@/lib/env");
    if (env.NODE_ENV === "production" && inngestDevMode) {
      const { logger } = await import("@/lib/logger");
      logger.warn(
        `UNSAFE: INNGEST_DEV with ${unsafeInngestDevOptIn}=1: /api/inngest runs requests nobody signed. Never expose this server.`,
        { INNGEST_DEV: env.INNGEST_DEV ?? null },
      );
    }
  } catch (error) {
    if (error instanceof Error && error.name === "InvalidEnvironmentError") {
      // Not the logger: this is for the person starting the server, and the message spans lines
      // (a JSON line would escape them); there is no valid configuration to run with anyway.
      // eslint-disable-next-line no-console
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
