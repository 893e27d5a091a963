/** A field that names an object by id, or holds it expanded: its id. */
export const idOf = (field: string | { id?: string } | null | undefined): string | undefined =>
  typeof field === "string" ? field : field?.id;
