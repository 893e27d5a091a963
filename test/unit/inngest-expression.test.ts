import { describe, expect, it } from "vitest";
import { functions } from "@/inngest";
import { InngestSim } from "@onramp/standins/inngest";
import { UnsupportedExpressionError, compileExpression } from "@onramp/standins/inngest";

const run = { name: "clerk/user.created", data: { id: "user_1", tier: "pro", n: 2, on: true } };
const submitted = (userId: string) => ({ name: "app/onboarding.submitted", data: { userId } });

const matches = (source: string, async: unknown = submitted("user_1")) =>
  compileExpression(source).matches({ event: run, async });

describe("the simulator's expressions (Inngest's CEL, the subset onramp uses)", () => {
  it("compares paths of the run's event and the arriving one", () => {
    expect(matches("async.data.userId == event.data.id")).toBe(true);
    expect(matches("async.data.userId == event.data.id", submitted("user_2"))).toBe(false);
    expect(matches("event.data.id == async.data.userId")).toBe(true);
    expect(matches("async.data.userId != event.data.id", submitted("user_2"))).toBe(true);
  });

  it("reads literals: strings in either quote with escapes, numbers, booleans, null", () => {
    expect(matches("event.data.id == 'user_1'")).toBe(true);
    expect(matches('event.data.tier == "pro"')).toBe(true);
    expect(matches("'it\\'s' == \"it's\"")).toBe(true);
    expect(matches("event.data.n == 2")).toBe(true);
    expect(matches("event.data.n == 2.5")).toBe(false);
    expect(matches("event.data.on == true")).toBe(true);
    expect(matches("event.data.on")).toBe(true);
    expect(matches("null == null")).toBe(true);
    // Types do not convert: the number 2 is not the string "2".
    expect(matches("event.data.n == '2'")).toBe(false);
  });

  it("combines with &&, ||, ! and parentheses, && binding tighter", () => {
    expect(matches("async.data.userId == event.data.id && event.data.tier == 'pro'")).toBe(true);
    expect(matches("async.data.userId == event.data.id && event.data.tier == 'free'")).toBe(false);
    expect(matches("event.data.tier == 'free' || event.data.tier == 'pro'")).toBe(true);
    expect(matches("true || false && false")).toBe(true);
    expect(matches("(true || false) && false")).toBe(false);
    expect(matches("!(event.data.tier == 'free')")).toBe(true);
  });

  it("treats an absent field as CEL does: an error, so the condition does not hold", () => {
    expect(matches("async.data.missing == event.data.id")).toBe(false);
    expect(matches("async.data.missing != event.data.id")).toBe(false);
    expect(matches("async.data.userId.deeper == 'x'")).toBe(false);
    expect(compileExpression("async.data.userId == event.data.id").matches({ event: run })).toBe(
      false,
    );
    // Logical operators are decided by either side, as CEL's are.
    expect(matches("false && async.data.missing == 1")).toBe(false);
    expect(matches("async.data.missing == 1 || true")).toBe(true);
    expect(matches("async.data.missing == 1 && true")).toBe(false);
    // A condition that is not a boolean does not hold either.
    expect(matches("event.data.tier")).toBe(false);
  });

  it("gives the value of a key expression, undefined when its field is absent", () => {
    expect(compileExpression("event.data.id").valueOf({ event: run })).toBe("user_1");
    expect(compileExpression("event.data.nope").valueOf({ event: run })).toBeUndefined();
  });

  it.each([
    "event.data.n > 1",
    "event.data.id in ['a']",
    "size(event.data.id) == 6",
    "event.data.id.startsWith('user')",
    "event.data.tags[0] == 'a'",
    "steps.a == 1",
    "event.data.id == 'unterminated",
    "event.data.id ==",
    "event.data.id == 'a' ? true : false",
    "(event.data.id == 'a'",
    "'a\\n' == 'a'",
  ])("throws on syntax outside the subset, so no test is misled: %s", (source) => {
    expect(() => compileExpression(source)).toThrow(UnsupportedExpressionError);
  });

  it("understands every expression onramp's functions register (triggers, cancelOn, keys)", () => {
    expect(() => new InngestSim({ functions })).not.toThrow();
  });
});
