import type { Json } from "../standin";

/** `a[b][0][c]=v` → { a: { b: [ { c: "v" } ] } } — how Stripe reads form and query params. */
export function parseStripeParams(params: URLSearchParams): Record<string, Json> {
  const root: Json = {};
  for (const [key, value] of params) {
    const segments = key.includes("[") ? [key.slice(0, key.indexOf("["))] : [key];
    for (const m of key.matchAll(/\[([^\]]*)\]/g)) segments.push(m[1] ?? "");
    let node = root;
    segments.forEach((seg, i) => {
      const last = i === segments.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(segments[i + 1] ?? "");
      const k = seg === "" && Array.isArray(node) ? node.length : seg;
      if (last) node[k] = value;
      else node = node[k] ??= nextIsIndex ? [] : {};
    });
  }
  return root;
}

/** Stripe metadata updates: merge; "" unsets a key; metadata="" clears all. */
export function mergeMetadata(
  current: Record<string, string>,
  update: Json,
): Record<string, string> {
  if (update === undefined) return current;
  if (update === "") return {};
  const out = { ...current };
  for (const [k, v] of Object.entries(update as Record<string, string>)) {
    if (v === "") delete out[k];
    else out[k] = String(v);
  }
  return out;
}

export const bool = (v: Json) => v === true || v === "true";
export const int = (v: Json) => (v === undefined || v === "" ? undefined : Number(v));
