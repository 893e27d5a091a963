// Runs once when the server starts, so bad configuration fails there and not inside an SDK later.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { validateEnvironmentOrExit } = await import("@/lib/startup");
  await validateEnvironmentOrExit();
}
