import { buildApp } from "./app-server";

/** The browser project's one build (the test publishable keys are inlined at build time). */
export default async function setup() {
  await buildApp();
}
