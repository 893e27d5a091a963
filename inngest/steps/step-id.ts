/**
 * The id of a step repeated for each card the user tries: the first try has the plain id, later
 * ones end in their number (`confirm-setup-intent-2`), so each try is its own step in the run.
 */
export const numbered = (id: string, attempt: number) => (attempt === 1 ? id : `${id}-${attempt}`);
