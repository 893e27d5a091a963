/**
 * What every benchmark shares: figures measured once per run (or per sample) and summarised as the
 * median with the range over the runs, and goals printed next to what was measured with "met" or
 * "not met". A goal is met when the median run meets it; how many runs met it is printed too.
 * Nothing here times anything: the benchmarks measure, this only summarises and prints.
 *
 * With BENCH_GOALS_FILE set (bench/run.ts sets it), every goal is also appended to that file as a
 * JSON line, so `npm run bench` can put all of them in one table.
 */
import { appendFileSync } from "node:fs";

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile (q in 0..1): a value that was measured, never an interpolation. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: percentile(values, 0.5),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** "412 ms (398–431 ms)": the median, then the range; "412 ms" when every run measured the same. */
export function formatSpread(values: readonly number[], digits: number, unit = "") {
  const { median, min, max } = summarize(values);
  const show = (value: number) => value.toFixed(digits);
  return min === max
    ? `${show(median)}${unit}`
    : `${show(median)}${unit} (${show(min)}–${show(max)}${unit})`;
}

/** Writes a line to stdout (benchmarks that run the app's code silence its console logging). */
export const print = (text = "") => process.stdout.write(`${text}\n`);

/** Runs `once` `runs` times, one after another, saying on stderr how far it got. */
export async function repeat<T>(
  label: string,
  runs: number,
  once: (run: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < runs; run++) {
    process.stderr.write(`${label}: run ${run + 1} of ${runs}\n`);
    results.push(await once(run));
  }
  return results;
}

export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

export interface Target {
  atMost?: number;
  atLeast?: number;
  /** printed after each value, e.g. "×" or " ms" */
  unit?: string;
  digits?: number;
}

export interface GoalResult {
  bench: string;
  goal: string;
  measured: string;
  /** what the measured figure is taken over, e.g. "5 runs" or "8 samples" */
  over: string;
  met: boolean;
}

const meets = (value: number, target: Target) =>
  (target.atMost === undefined || value <= target.atMost) &&
  (target.atLeast === undefined || value >= target.atLeast);

function describe(name: string, target: Target) {
  const show = (value: number) => `${value.toFixed(target.digits ?? 0)}${target.unit ?? ""}`;
  const bounds = [
    target.atLeast === undefined ? "" : `≥ ${show(target.atLeast)}`,
    target.atMost === undefined ? "" : `≤ ${show(target.atMost)}`,
  ].filter(Boolean);
  return { goal: `${name} ${bounds.join(" and ")}`, show, digits: target.digits ?? 0 };
}

/** A goal on a figure measured once per run: met when the median run meets it. */
export function goalOverRuns(
  bench: string,
  name: string,
  perRun: readonly number[],
  target: Target,
): GoalResult {
  const { goal, digits } = describe(name, target);
  const runsMet = perRun.filter((value) => meets(value, target)).length;
  return {
    bench,
    goal,
    measured: `${formatSpread(perRun, digits, target.unit)}; met in ${runsMet} of ${perRun.length} runs`,
    over: `${perRun.length} runs`,
    met: meets(summarize(perRun).median, target),
  };
}

/** A goal on a percentile of pooled samples, e.g. p95 ≤ 1000 ms. */
export function goalOnPercentile(
  bench: string,
  name: string,
  samples: readonly number[],
  q: number,
  target: Target,
): GoalResult {
  const { goal, show } = describe(`${name}, p${Math.round(q * 100)}`, target);
  const value = percentile(samples, q);
  return {
    bench,
    goal,
    measured: show(value),
    over: `${samples.length} samples`,
    met: meets(value, target),
  };
}

/** Prints the goals as a table and hands them to `npm run bench`. */
export function printGoals(goals: GoalResult[]) {
  print(
    markdownTable(
      ["goal", "measured", "over", "result"],
      goals.map((g) => [g.goal, g.measured, g.over, g.met ? "met" : "**not met**"]),
    ),
  );
  const file = process.env.BENCH_GOALS_FILE;
  if (file) appendFileSync(file, goals.map((g) => `${JSON.stringify(g)}\n`).join(""));
}
