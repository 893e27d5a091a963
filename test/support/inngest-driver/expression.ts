/**
 * The part of CEL (Common Expression Language) that Inngest expressions use in practice:
 * `event.data.id == async.data.userId`, `event.data.function_id == 'app-fn'`, keys such as
 * `event.data.id`, combined with `&&`, `||`, `!` and parentheses. Anything else is refused with
 * an error naming the expression, rather than guessed at.
 *
 * Like Inngest, a path that does not exist evaluates to null instead of failing the match.
 */

type Value = unknown;
type Scope = Record<string, unknown>;

type Token =
  { kind: "literal"; value: Value } | { kind: "ident"; name: string } | { kind: "op"; op: string };

const operators = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", "."];

export class ExpressionError extends Error {
  constructor(expression: string, why: string) {
    super(`Cannot evaluate expression ${JSON.stringify(expression)}: ${why}`);
    this.name = "ExpressionError";
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === "'" || char === '"') {
      let value = "";
      i++;
      while (i < source.length && source[i] !== char) {
        if (source[i] === "\\" && i + 1 < source.length) i++;
        value += source[i++];
      }
      if (source[i] !== char) throw new ExpressionError(source, "unterminated string");
      i++;
      tokens.push({ kind: "literal", value });
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: "literal", value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (ident) {
      const name = ident[0];
      if (name === "true" || name === "false")
        tokens.push({ kind: "literal", value: name === "true" });
      else if (name === "null") tokens.push({ kind: "literal", value: null });
      else tokens.push({ kind: "ident", name });
      i += name.length;
      continue;
    }
    const op = operators.find((candidate) => source.startsWith(candidate, i));
    if (!op) throw new ExpressionError(source, `unexpected ${JSON.stringify(char)}`);
    tokens.push({ kind: "op", op });
    i += op.length;
  }
  return tokens;
}

/** Recursive descent over the tokens, evaluating as it goes (expressions are tiny). */
class Evaluator {
  private position = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly scope: Scope,
  ) {}

  evaluate(): Value {
    const value = this.or();
    if (this.position < this.tokens.length) this.fail("unexpected input after the expression");
    return value;
  }

  private fail(why: string): never {
    throw new ExpressionError(this.source, why);
  }

  private peekOp(...ops: string[]): string | undefined {
    const token = this.tokens[this.position];
    return token?.kind === "op" && ops.includes(token.op) ? token.op : undefined;
  }

  private expectOp(op: string) {
    if (!this.peekOp(op)) this.fail(`expected "${op}"`);
    this.position++;
  }

  private or(): Value {
    let value = this.and();
    while (this.peekOp("||")) {
      this.position++;
      const right = this.and();
      value = value === true || right === true;
    }
    return value;
  }

  private and(): Value {
    let value = this.comparison();
    while (this.peekOp("&&")) {
      this.position++;
      const right = this.comparison();
      value = value === true && right === true;
    }
    return value;
  }

  private comparison(): Value {
    const left = this.unary();
    const op = this.peekOp("==", "!=", "<", "<=", ">", ">=");
    if (!op) return left;
    this.position++;
    const right = this.unary();
    switch (op) {
      case "==":
        return equal(left, right);
      case "!=":
        return !equal(left, right);
      default:
        return compare(op, left, right);
    }
  }

  private unary(): Value {
    if (this.peekOp("!")) {
      this.position++;
      return this.unary() !== true;
    }
    return this.member();
  }

  private member(): Value {
    let value = this.primary();
    for (;;) {
      if (this.peekOp(".")) {
        this.position++;
        const token = this.tokens[this.position++];
        if (token?.kind !== "ident") this.fail("expected a field name after '.'");
        value = field(value, token.name);
      } else if (this.peekOp("[")) {
        this.position++;
        const key = this.or();
        this.expectOp("]");
        value = field(value, key);
      } else {
        return value;
      }
    }
  }

  private primary(): Value {
    const token = this.tokens[this.position++];
    if (!token) this.fail("unexpected end");
    if (token.kind === "literal") return token.value;
    if (token.kind === "ident") return this.scope[token.name] ?? null;
    if (token.op === "(") {
      const value = this.or();
      this.expectOp(")");
      return value;
    }
    this.fail(`unexpected "${token.op}"`);
  }
}

function field(value: Value, key: Value): Value {
  if (value === null || typeof value !== "object") return null;
  return (value as Record<string, unknown>)[String(key)] ?? null;
}

function equal(left: Value, right: Value): boolean {
  if (left === right) return true;
  if (typeof left === "object" && typeof right === "object" && left && right) {
    return JSON.stringify(left) === JSON.stringify(right);
  }
  return false;
}

function compare(op: string, left: Value, right: Value): boolean {
  const comparable =
    (typeof left === "number" && typeof right === "number") ||
    (typeof left === "string" && typeof right === "string");
  if (!comparable) return false;
  const [a, b] = [left as number | string, right as number | string];
  return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
}

/** The value of `expression` with the given variables (e.g. `event`, `async`). */
export function evaluateExpression(expression: string, scope: Scope): Value {
  return new Evaluator(expression, tokenize(expression), scope).evaluate();
}

/** Whether `expression` holds; a missing expression always does. */
export function expressionHolds(expression: string | undefined, scope: Scope): boolean {
  return (
    expression === undefined || expression === "" || evaluateExpression(expression, scope) === true
  );
}
