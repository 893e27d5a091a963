import { vi } from "vitest";

/**
 * The JSON lines lib/logger writes from now on (to the console, which this silences), parsed.
 * Undo with `vi.restoreAllMocks()`.
 */
export function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const collect = (line: unknown) => void lines.push(JSON.parse(String(line)));
  vi.spyOn(console, "log").mockImplementation(collect);
  vi.spyOn(console, "error").mockImplementation(collect);
  return lines;
}
