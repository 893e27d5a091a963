import { readContractJson } from "../openapi";
import { clone, type Json } from "../standin";

/** Stripe's own response fixtures (stripe/openapi fixtures3.json): every object starts from one. */
export const fixtures: Record<string, Json> = readContractJson(
  "stripe",
  "fixtures3.json",
).resources;
export const fixture = (name: string): Json => clone(fixtures[name]);
