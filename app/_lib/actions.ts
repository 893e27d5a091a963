import { auth } from "@clerk/nextjs/server";
import type { z } from "zod";
import type { SessionAuth } from "@/lib/auth";
import { orgAdmin } from "@/lib/orgs/access";
import { LicensingError } from "@/lib/orgs/errors";

/**
 * Every server action goes through one of these (in the spirit of nextjs/saas-starter's
 * `validatedActionWithUser`): the input is validated with a zod schema, and who acts comes from
 * Clerk's verified session, never from anything the browser sent.
 */

/** What a server action answers: an error the page shows as it is, or nothing wrong. */
export interface ActionResult {
  error?: string;
}

/** A refusal: an error and nothing else, which fits every action's answer. */
const refusal = <R extends ActionResult>(error: string) => ({ error }) as Partial<R>;

const signedOut = "Your session has ended. Sign in again to continue.";

const invalid = (error: z.ZodError) =>
  error.issues[0]?.message ?? "Something in the form was not right.";

/** An action of the signed-in user, called with an object from a client component. */
export function withUser<S extends z.ZodType, R extends ActionResult>(
  schema: S,
  action: (input: z.output<S>, user: { userId: string }) => Promise<R>,
): (input: z.input<S>) => Promise<Partial<R>> {
  return async (input) => {
    const { userId } = await auth();
    if (!userId) return refusal(signedOut);
    const parsed = schema.safeParse(input);
    if (!parsed.success) return refusal(invalid(parsed.error));
    return action(parsed.data, { userId });
  };
}

/**
 * A form action (useActionState) of an admin of the session's active organization. Refusals the
 * admin can act on (LicensingError, from the check here or from lib/orgs) become the message;
 * anything else is a bug and is thrown.
 */
export function withOrgAdmin<S extends z.ZodType, R extends ActionResult>(
  schema: S,
  action: (input: z.output<S>, session: SessionAuth) => Promise<R>,
): (state: ActionResult, form?: FormData) => Promise<Partial<R>> {
  return async (_state, form) => {
    const session = await auth();
    try {
      orgAdmin(session);
      const parsed = schema.safeParse(Object.fromEntries(form ?? []));
      if (!parsed.success) return refusal(invalid(parsed.error));
      return await action(parsed.data, session);
    } catch (error) {
      if (error instanceof LicensingError) return refusal(error.message);
      throw error;
    }
  };
}
