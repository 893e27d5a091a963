import type { Reply } from "../standin";

/** Stripe prunes idempotency keys once they are at least 24 hours old; a later reuse runs anew. */
const KEY_LIFETIME = 24 * 3_600;

interface Saved {
  /** method, path and canonical parameters of the request that first used the key */
  fingerprint: string;
  reply: Reply;
  requestId: string;
  at: number;
}

/** The idempotency keys Stripe remembers (https://docs.stripe.com/api/idempotent_requests). */
export class IdempotencyKeys {
  private saved = new Map<string, Saved>();

  constructor(private readonly clock: { now(): number }) {}

  /** What the key saved, unless Stripe has pruned it by now. */
  find(key: string): Saved | undefined {
    const prior = this.saved.get(key);
    return prior && this.clock.now() - prior.at < KEY_LIFETIME ? prior : undefined;
  }

  save(key: string, saved: Omit<Saved, "at">): void {
    this.saved.set(key, { ...saved, at: this.clock.now() });
  }

  clear(): void {
    this.saved.clear();
  }
}
