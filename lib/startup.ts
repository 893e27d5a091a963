/** Validates the environment as the server starts: one readable message and exit, not a stack trace. */
export async function validateEnvironmentOrExit() {
  try {
    await import("@/lib/env");
  } catch (error) {
    if (error instanceof Error && error.name === "InvalidEnvironmentError") {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
