import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse as parseYaml } from "yaml";
import type { Incoming, Json } from "./standin";

/**
 * The vendors' published contracts and samples, kept in this package's `contracts/` so the tests
 * run on a fresh clone (its README says where each came from).
 */
export const contractPath = (...parts: string[]) =>
  path.resolve(import.meta.dirname, "../contracts", ...parts);

export const readContractJson = (...parts: string[]): Json =>
  JSON.parse(readFileSync(contractPath(...parts), "utf8"));

export interface Violation {
  /** where: body, query.<name>, header.<name>, path */
  at: string;
  /** the JSON-schema keyword that failed (required, additionalProperties, type, …) */
  keyword: string;
  message: string;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  params: Record<string, string>;
}

type Compiled = { pointer: string; validate?: ValidateFunction };

// OpenAPI's numeric/binary formats carry no constraint JSON Schema can check on the wire.
const OPAQUE_FORMATS = ["int32", "int64", "float", "double", "byte", "binary", "password"];

const escapePointer = (segment: string) =>
  encodeURIComponent(segment.replace(/~/g, "~0").replace(/\//g, "~1"));

/**
 * OpenAPI 3.0's `nullable` sits beside `type`, but a sibling `oneOf`/`$ref` would still reject
 * null; rewriting to `anyOf [null, schema]` keeps JSON-Schema semantics exact.
 */
function rewriteNullable(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (k !== "nullable") out[k] = rewriteNullable(v);
  return node.nullable === true ? { anyOf: [{ type: "null" }, out] } : out;
}

/** Request/response validation against one vendor OpenAPI document (3.0 or 3.1). */
export class OpenApiContract {
  readonly doc: Json;
  readonly prefix: string;
  private readonly ajv: Ajv;
  private readonly routes: Array<{ template: string; regex: RegExp; names: string[] }>;
  private readonly compiled = new Map<string, Compiled>();

  constructor(file: string) {
    const raw = parseYaml(readFileSync(contractPath(file), "utf8"), { maxAliasCount: -1 });
    const is31 = String(raw.openapi).startsWith("3.1");
    this.doc = is31 ? raw : rewriteNullable(raw);
    this.prefix = new URL(this.doc.servers?.[0]?.url ?? "http://x").pathname.replace(/\/$/, "");
    const options = { strict: false, allErrors: true, validateSchema: false } as const;
    this.ajv = is31 ? new Ajv2020(options) : new Ajv(options);
    addFormats(this.ajv);
    for (const f of OPAQUE_FORMATS) this.ajv.addFormat(f, true);
    this.ajv.addSchema(this.doc, "spec");
    // Literal segments beat parameters (/users/count before /users/{user_id}).
    this.routes = Object.keys(this.doc.paths)
      .map((template) => {
        const names: string[] = [];
        const body = template
          .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
          .replace(/\{([^}]+)\}/g, (_m, n) => {
            names.push(n);
            return "([^/]+)";
          });
        return { template, names, regex: new RegExp(`^${this.prefix}${body}$`) };
      })
      .sort((a, b) => a.names.length - b.names.length);
  }

  match(method: string, pathname: string): Operation | "method-not-allowed" | undefined {
    let pathExists = false;
    for (const route of this.routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      pathExists = true;
      const op = this.doc.paths[route.template][method.toLowerCase()];
      if (!op) continue;
      const params = Object.fromEntries(
        route.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? "")]),
      );
      return {
        method: method.toUpperCase(),
        template: route.template,
        operationId: op.operationId,
        params,
      };
    }
    return pathExists ? "method-not-allowed" : undefined;
  }

  /** Check params, headers and body of a request already matched to `op`. */
  validateRequest(op: Operation, req: Incoming): Violation[] {
    const out: Violation[] = [];
    const base = `#/paths/${escapePointer(op.template)}`;
    const methodPtr = `${base}/${op.method.toLowerCase()}`;
    const operation = this.doc.paths[op.template][op.method.toLowerCase()];
    const declared = [
      ...(this.doc.paths[op.template].parameters ?? []).map((p: Json, i: number) => [
        p,
        `${base}/parameters/${i}`,
      ]),
      ...(operation.parameters ?? []).map((p: Json, i: number) => [
        p,
        `${methodPtr}/parameters/${i}`,
      ]),
    ].map(([p, ptr]) => this.deref(p, ptr));

    for (const [name, value] of Object.entries(req.query)) {
      const param = declared.find((d) => d.node.in === "query" && d.node.name === name);
      if (!param) {
        out.push({
          at: `query.${name}`,
          keyword: "additionalProperties",
          message: "unknown query parameter",
        });
        continue;
      }
      const values = Array.isArray(value) ? value : [value];
      const schema = param.node.schema ?? {};
      const coerced =
        schema.type === "array"
          ? values.map((v) => coerce(v, schema.items))
          : coerce(values[0], schema);
      out.push(...this.check(`${param.pointer}/schema`, coerced, `query.${name}`));
    }
    for (const { node, pointer } of declared) {
      const where =
        node.in === "query"
          ? req.query[node.name]
          : node.in === "header"
            ? req.headers[node.name.toLowerCase()]
            : op.params[node.name];
      if (where === undefined) {
        if (node.required)
          out.push({
            at: `${node.in}.${node.name}`,
            keyword: "required",
            message: "missing required parameter",
          });
        continue;
      }
      if (node.in === "header" || node.in === "path")
        out.push(
          ...this.check(`${pointer}/schema`, coerce(where, node.schema), `${node.in}.${node.name}`),
        );
    }

    const hasBody = req.rawBody.length > 0;
    if (!operation.requestBody) {
      if (hasBody)
        out.push({
          at: "body",
          keyword: "requestBody",
          message: "this operation takes no request body",
        });
      return out;
    }
    const rb = this.deref(operation.requestBody, `${methodPtr}/requestBody`);
    if (!hasBody) {
      if (rb.node.required)
        out.push({ at: "body", keyword: "required", message: "request body is required" });
      return out;
    }
    if (
      !(req.headers["content-type"] ?? "").startsWith("application/json") ||
      !rb.node.content?.["application/json"]
    ) {
      out.push({
        at: "body",
        keyword: "content-type",
        message: `unsupported content-type ${req.headers["content-type"]}`,
      });
      return out;
    }
    if (typeof req.body === "string") {
      out.push({ at: "body", keyword: "json", message: "body is not valid JSON" });
      return out;
    }
    out.push(
      ...this.check(
        `${rb.pointer}/content/${escapePointer("application/json")}/schema`,
        req.body,
        "body",
      ),
    );
    return out;
  }

  /** Check a stand-in's own reply, so the stand-in cannot drift from what the SDK will see. */
  validateResponse(op: Operation, status: number, body: unknown): Violation[] {
    const ptr = `#/paths/${escapePointer(op.template)}/${op.method.toLowerCase()}/responses`;
    const responses = this.doc.paths[op.template][op.method.toLowerCase()].responses ?? {};
    const key = responses[String(status)]
      ? String(status)
      : responses.default
        ? "default"
        : undefined;
    if (!key)
      return [{ at: "response", keyword: "status", message: `status ${status} is not documented` }];
    const res = this.deref(responses[key], `${ptr}/${key}`);
    if (!res.node.content?.["application/json"]?.schema) return [];
    return this.check(
      `${res.pointer}/content/${escapePointer("application/json")}/schema`,
      body,
      "response",
    );
  }

  /** Validate against any schema in the document, e.g. `#/components/schemas/User`. */
  check(pointer: string, value: unknown, at: string): Violation[] {
    let entry = this.compiled.get(pointer);
    if (!entry) {
      entry = { pointer, validate: this.ajv.compile({ $ref: `spec${pointer}` }) };
      this.compiled.set(pointer, entry);
    }
    if (entry.validate!(value)) return [];
    return (entry.validate!.errors ?? []).map((e: ErrorObject) => ({
      at: `${at}${e.instancePath.replace(/\//g, ".")}`,
      keyword: e.keyword,
      message: `${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : ""}`,
    }));
  }

  private deref(node: Json, pointer: string): { node: Json; pointer: string } {
    while (node?.$ref) {
      pointer = node.$ref as string;
      node = pointer
        .slice(2)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
        .reduce((n: Json, s: string) => n?.[s], this.doc);
    }
    return { node, pointer };
  }
}

/** Query/header/path values arrive as strings; give the schema the type it declares. */
function coerce(value: Json, schema: Json): Json {
  const type = schema?.type ?? schema?.anyOf?.find((s: Json) => s.type !== "null")?.type;
  if (typeof value !== "string") return value;
  if (type === "integer" || type === "number")
    return value.trim() !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
  if (type === "boolean") return value === "true" ? true : value === "false" ? false : value;
  return value;
}

export const formatViolation = (v: Violation) => `${v.at}: ${v.message} [${v.keyword}]`;
