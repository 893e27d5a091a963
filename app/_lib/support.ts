import { env } from "@/lib/env";

/** Where users write when something is stuck: the address our emails come from. */
export function supportEmail(): string {
  return /<([^>]+)>/.exec(env.EMAIL_FROM)?.[1] ?? env.EMAIL_FROM;
}
