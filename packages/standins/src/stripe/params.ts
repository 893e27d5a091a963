import type Stripe from "stripe";

/**
 * A request's parameters as parsed: Stripe's form encoding gives strings, lists and nested
 * objects (a JSON body, anything). Untrusted: the readers below narrow each value, and every
 * resource reads its parameters into the SDK's own request type before it acts on them.
 */
export type Params = Record<string, unknown>;

type Container = Params | unknown[];
// `a[]=…` is always a new element at the end of the list
const slot = (c: Container, key: string): unknown =>
  Array.isArray(c) ? (key === "" ? undefined : c[Number(key)]) : c[key];
function put(c: Container, key: string, value: unknown): void {
  if (Array.isArray(c)) c[key === "" ? c.length : Number(key)] = value;
  else c[key] = value;
}

/** `a[b][0][c]=v` → { a: { b: [ { c: "v" } ] } } — how Stripe reads form and query params. */
export function parseStripeParams(params: URLSearchParams): Params {
  const root: Params = {};
  for (const [key, value] of params) {
    const segments = key.includes("[") ? [key.slice(0, key.indexOf("["))] : [key];
    for (const m of key.matchAll(/\[([^\]]*)\]/g)) segments.push(m[1] ?? "");
    let node: Container = root;
    for (const [i, segment] of segments.entries()) {
      if (i === segments.length - 1) {
        put(node, segment, value);
        break;
      }
      const existing = slot(node, segment);
      let child: Container;
      if (Array.isArray(existing) || isParams(existing)) child = existing;
      else {
        child = /^\d*$/.test(segments[i + 1] ?? "") ? [] : {};
        put(node, segment, child);
      }
      node = child;
    }
  }
  return root;
}

export const isParams = (value: unknown): value is Params =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The value when it is a string (Stripe's encoding sends every scalar as one). */
export const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;

/** A nested object parameter (`a[b]=…`), or undefined. */
export const nested = (value: unknown): Params | undefined => (isParams(value) ? value : undefined);

/** A list parameter (`a[0]=…` or `a[]=…`), or empty. */
export const items = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const bool = (value: unknown) => value === true || value === "true";
export const int = (value: unknown) =>
  value === undefined || value === "" ? undefined : Number(value);

/** `metadata[k]=v` (set), `metadata[k]=` (unset k) or `metadata=` (clear all). */
export function metadataParam(value: unknown): Stripe.Emptyable<Stripe.MetadataParam> | undefined {
  if (value === "") return "";
  if (!isParams(value)) return undefined;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, text(v) ?? String(v)]));
}

/** Stripe metadata updates: merge; "" unsets a key; metadata="" clears all. */
export function mergeMetadata(
  current: Stripe.Metadata,
  update: Stripe.Emptyable<Stripe.MetadataParam> | undefined,
): Stripe.Metadata {
  if (update === undefined) return current;
  if (update === "" || update === null) return {};
  const out = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === "") delete out[k];
    else out[k] = String(v);
  }
  return out;
}
