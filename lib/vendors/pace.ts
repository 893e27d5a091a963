/** Waits until `cost` more requests may be made. */
export type Pace = (cost?: number) => Promise<void>;

/**
 * Spaces a batch job's requests to a vendor (a token bucket): up to `burst` at once, then
 * `perSecond` a second. Batch work such as the billing reconciler shares the vendor's rate limit
 * with the live app, so it keeps well inside it. The calls are made one after another.
 */
export function requestPacer(perSecond: number, burst = perSecond): Pace {
  let tokens = burst;
  let last = Date.now();
  return async (cost = 1) => {
    for (;;) {
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * perSecond);
      last = now;
      if (tokens >= cost) {
        tokens -= cost;
        return;
      }
      const wait = Math.ceil(((cost - tokens) / perSecond) * 1000);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
}
