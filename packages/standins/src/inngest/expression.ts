/**
 * The part of Inngest's CEL expressions that onramp's functions use, evaluated as
 * Inngest evaluates them (wait `if`, cancelOn `if`, trigger `expression`, flow-control keys).
 *
 *   paths      event.data.id, async.data.userId   (roots: `event` = the run's triggering event,
 *                                                   `async` = the event arriving)
 *   literals   'text', "text", 42, 1.5, true, false, null
 *   operators  ==  !=  &&  ||  !  ( )
 *
 * Anything else (`<`, `in`, indexing, function calls, `size()`, ...) throws
 * UnsupportedExpressionError when the expression is compiled, so no test is silently wrong about
 * an expression this file does not understand. As in CEL, reading a field that is absent is an
 * error, not null: an equality over it does not hold, `false && error` is false and
 * `true || error` is true, and a condition that ends in error does not match.
 */

export class UnsupportedExpressionError extends Error {
  name = "UnsupportedExpressionError";
}

/** CEL's runtime errors (an absent field, a non-boolean condition), carried as CEL carries them. */
class EvaluationError extends Error {}

interface Bindings {
  event?: unknown;
  async?: unknown;
}

type Node =
  | { kind: "literal"; value: unknown }
  | { kind: "path"; root: "event" | "async"; keys: string[] }
  | { kind: "not"; operand: Node }
  | { kind: "binary"; op: "==" | "!=" | "&&" | "||"; left: Node; right: Node };

type Token =
  | { type: "string" | "number"; value: string | number; at: number }
  | { type: "word" | "op"; value: string; at: number };

const OPERATORS = ["==", "!=", "&&", "||", "!", "(", ")", "."];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'" || char === '"') {
      let value = "";
      let j = i + 1;
      for (; j < source.length && source[j] !== char; j++) {
        if (source[j] === "\\") {
          const escaped = source[++j];
          if (escaped === undefined || !`\\'"`.includes(escaped)) {
            throw unsupported(source, j, "string escapes other than \\\\, \\' and \\\"");
          }
          value += escaped;
        } else {
          value += source[j];
        }
      }
      if (j >= source.length) throw unsupported(source, i, "an unterminated string");
      tokens.push({ type: "string", value, at: i });
      i = j + 1;
    } else if (/[0-9]/.test(char)) {
      const [number] = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ type: "number", value: Number(number), at: i });
      i += number.length;
    } else if (/[A-Za-z_]/.test(char)) {
      const [word] = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ type: "word", value: word, at: i });
      i += word.length;
    } else {
      const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
      if (!op) throw unsupported(source, i, `"${char}"`);
      tokens.push({ type: "op", value: op, at: i });
      i += op.length;
    }
  }
  return tokens;
}

function unsupported(source: string, at: number, what: string) {
  return new UnsupportedExpressionError(
    `Inngest's stand-in does not evaluate ${what} (at ${at} in \`${source}\`); extend standins/inngest/expression.ts if a function needs it`,
  );
}

/** Recursive descent: or → and → equality → unary → primary. */
function parse(source: string): Node {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const isOp = (value: string) => peek()?.type === "op" && peek()!.value === value;
  const fail = (what: string) => unsupported(source, peek()?.at ?? source.length, what);

  const binary = (op: "&&" | "||", next: () => Node) => (): Node => {
    let left = next();
    while (isOp(op)) {
      position++;
      left = { kind: "binary", op, left, right: next() };
    }
    return left;
  };
  const equality = (): Node => {
    const left = unary();
    if (isOp("==") || isOp("!=")) {
      const op = peek()!.value as "==" | "!=";
      position++;
      return { kind: "binary", op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp("!")) {
      position++;
      return { kind: "not", operand: unary() };
    }
    return primary();
  };
  const primary = (): Node => {
    const token = peek();
    if (!token) throw fail("an expression that ends early");
    position++;
    if (token.type === "string" || token.type === "number") {
      return { kind: "literal", value: token.value };
    }
    if (token.type === "op" && token.value === "(") {
      const inner = or();
      if (!isOp(")")) throw fail("a missing )");
      position++;
      return inner;
    }
    if (token.type === "word") {
      if (token.value === "true" || token.value === "false") {
        return { kind: "literal", value: token.value === "true" };
      }
      if (token.value === "null") return { kind: "literal", value: null };
      if (token.value !== "event" && token.value !== "async") {
        position--;
        throw fail(`the name "${token.value}" (only event.* and async.* paths)`);
      }
      const keys: string[] = [];
      while (isOp(".")) {
        position++;
        const key = peek();
        if (key?.type !== "word") throw fail("a path that does not continue with a field name");
        keys.push(key.value);
        position++;
      }
      return { kind: "path", root: token.value, keys };
    }
    position--;
    throw fail(`"${token.value}"`);
  };
  const and = binary("&&", equality);
  const or = binary("||", and);

  const tree = or();
  if (position < tokens.length) throw fail(`"${peek()!.value}"`);
  return tree;
}

function evaluate(node: Node, bindings: Bindings): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "path": {
      let value: unknown = bindings[node.root];
      if (value === undefined) throw new EvaluationError(`no such key: ${node.root}`);
      for (const key of node.keys) {
        if (!value || typeof value !== "object" || !Object.hasOwn(value, key)) {
          throw new EvaluationError(`no such key: ${key}`);
        }
        value = (value as Record<string, unknown>)[key];
      }
      return value;
    }
    case "not":
      return !truth(evaluate(node.operand, bindings));
    case "binary": {
      if (node.op === "==" || node.op === "!=") {
        const equal = deepEqual(evaluate(node.left, bindings), evaluate(node.right, bindings));
        return node.op === "==" ? equal : !equal;
      }
      // CEL's logical operators are commutative over errors: a decisive side wins either way.
      const decisive = node.op === "||";
      const sides = [node.left, node.right].map((side) => attempt(() => evaluate(side, bindings)));
      if (sides.some((side) => "value" in side && truth(side.value) === decisive)) return decisive;
      const error = sides.find((side) => "error" in side);
      if (error && "error" in error) throw error.error;
      return !decisive;
    }
  }
}

function truth(value: unknown): boolean {
  if (typeof value !== "boolean")
    throw new EvaluationError(`a ${typeof value} used as a condition`);
  return value;
}

function attempt(read: () => unknown): { value: unknown } | { error: unknown } {
  try {
    return { value: read() };
  } catch (error) {
    return { error };
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!a || !b || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) =>
    deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

export interface Expression {
  readonly source: string;
  /** True only when the expression evaluates to true; an absent field makes it false. */
  matches(bindings: Bindings): boolean;
  /** The value, for flow-control keys; undefined when a field it reads is absent. */
  valueOf(bindings: Bindings): unknown;
}

/** Parses now (throwing UnsupportedExpressionError on syntax outside the subset), evaluates later. */
export function compileExpression(source: string): Expression {
  const tree = parse(source);
  const run = (bindings: Bindings) => attempt(() => evaluate(tree, bindings));
  return {
    source,
    matches: (bindings) => {
      const outcome = run(bindings);
      if ("error" in outcome && !(outcome.error instanceof EvaluationError)) throw outcome.error;
      return "value" in outcome && outcome.value === true;
    },
    valueOf: (bindings) => {
      const outcome = run(bindings);
      if ("error" in outcome && !(outcome.error instanceof EvaluationError)) throw outcome.error;
      return "value" in outcome ? outcome.value : undefined;
    },
  };
}
