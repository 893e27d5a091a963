import type { Reply } from "../standin";
import { missing } from "./errors";
import { int, text, type Params } from "./params";

/** A page of a list, newest first as Stripe lists, after `starting_after` or before `ending_before`. */
export function list<T extends { id?: string }>(url: string, data: T[], query: Params): Reply {
  const limit = int(query.limit) ?? 10;
  const all = data.toReversed();
  const before = query.ending_before !== undefined;
  const cursor = text(before ? query.ending_before : query.starting_after);
  const at = cursor === undefined ? -1 : all.findIndex((o) => o.id === cursor);
  if (cursor !== undefined && at === -1) {
    return missing("object", cursor, before ? "ending_before" : "starting_after");
  }
  // [start, end) of the page in `all`; has_more says whether more lie beyond it that way.
  const [start, end] = before ? [Math.max(0, at - limit), at] : [at + 1, at + 1 + limit];
  const hasMore = before ? start > 0 : end < all.length;
  return {
    status: 200,
    body: { object: "list", data: all.slice(start, end), has_more: hasMore, url },
  };
}
