import { afterEach, describe, expect, it, vi } from "vitest";
import { requestPacer } from "@/lib/vendors/pace";

afterEach(() => {
  vi.useRealTimers();
});

describe("requestPacer", () => {
  it("lets a burst through at once, then one request every 1/rate seconds", async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const pace = requestPacer(10, 3);
    const passed: number[] = [];
    const requests = (async () => {
      for (let i = 0; i < 6; i++) {
        await pace();
        passed.push(Date.now() - start);
      }
      // A request that costs two tokens waits for both.
      await pace(2);
      passed.push(Date.now() - start);
    })();
    await vi.runAllTimersAsync();
    await requests;

    expect(passed).toEqual([0, 0, 0, 100, 200, 300, 500]);
  });
});
