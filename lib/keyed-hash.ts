import { createHmac, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/env";

/**
 * Keyed hashes (HMAC-SHA256 under ONRAMP_SECRET): what onramp keeps when it must recognise a value
 * later without keeping the value (a card or an address of a deleted account), and what makes a
 * link in an email unforgeable. Each use has its own `purpose`, so a hash made for one never
 * stands for another. Production requires the secret (lib/env.ts); elsewhere a fixed development
 * secret stands in.
 */
const developmentSecret = "onramp development secret; production requires ONRAMP_SECRET";

export function keyedHash(purpose: string, value: string): string {
  return createHmac("sha256", env.ONRAMP_SECRET ?? developmentSecret)
    .update(`${purpose}\n${value}`)
    .digest("base64url");
}

/** Whether `hash` is the keyed hash of `value` for `purpose`, compared in constant time. */
export function isKeyedHash(purpose: string, value: string, hash: string): boolean {
  const expected = Buffer.from(keyedHash(purpose, value));
  const given = Buffer.from(hash);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
