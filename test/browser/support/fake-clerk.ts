import { randomBytes } from "node:crypto";
import type { UserJSON } from "@clerk/backend";
import { mintSessionToken } from "@/test/support/session";
import type { ClerkStandIn } from "@/test/support/vendors";

type Json = Record<string, unknown>;

export interface ClerkFrontendCall {
  op: string;
  payload: Json;
}

interface ApiError {
  status: number;
  errors: { code: string; message: string; long_message: string; meta?: { param_name?: string } }[];
}

const apiError = (status: number, code: string, message: string, param?: string): ApiError => ({
  status,
  errors: [
    { code, message, long_message: message, ...(param ? { meta: { param_name: param } } : {}) },
  ],
});

/**
 * A session token for the user as Clerk would mint it now for this app: the test key, `azp` the
 * app's origin, and the `metadata` claim (`{{user.public_metadata}}`) from the Clerk stand-in.
 * `claims` add or override (e.g. `{ sts: "pending" }`).
 */
export function sessionToken(
  backend: ClerkStandIn,
  appOrigin: string,
  userId: string,
  claims: Json = {},
): string {
  const user = backend.users.get(userId);
  return mintSessionToken({
    userId,
    expiresIn: 3600,
    claims: { azp: appOrigin, metadata: user?.public_metadata ?? {}, ...claims },
  });
}

const id = (prefix: string) => `${prefix}${randomBytes(10).toString("hex")}`;

/**
 * The test's side of the fake clerk-js (test/browser/fakes/clerk-js.ts): Clerk's Frontend API.
 * It records what the page sent, keeps sign-ups and sign-ins as Clerk does, creates users in the
 * Clerk Backend API stand-in (so the server sees the same users), and mints session tokens with
 * the test key, carrying the `metadata` claim (`{{user.public_metadata}}`) as the session template
 * in README.md configures it.
 */
export class FakeClerkFrontend {
  readonly calls: ClerkFrontendCall[] = [];
  /** Where verification codes went, in order. */
  readonly codesSentTo: string[] = [];
  /** The code every email "contains". */
  readonly code = "424242";
  private readonly failures: { op: string; error: ApiError }[] = [];
  private readonly signUps = new Map<string, Json>();
  private readonly signIns = new Map<string, Json>();

  constructor(
    readonly backend: ClerkStandIn,
    readonly appOrigin: string,
  ) {}

  /** The next call of `op` (e.g. "signUp.sendEmailCode") fails with this Clerk API error. */
  failNext(op: string, status: number, code: string, message: string) {
    this.failures.push({ op, error: apiError(status, code, message) });
  }

  /** While set, new tokens carry no metadata, as when Clerk has not caught up with a write yet. */
  staleClaims = false;
  /** Clerk's `user.created` webhook for a completed sign-up; off unless a test sets it. */
  onUserCreated: ((user: UserJSON) => void) | null = null;
  /** Each user's active organization, carried as the token's v2 `o` claim. */
  private readonly activeOrganizations = new Map<string, string>();

  sessionToken(userId: string, claims: Json = {}): string {
    const orgId = this.activeOrganizations.get(userId);
    const membership = orgId && this.backend.memberships.get(`${orgId}:${userId}`);
    return sessionToken(this.backend, this.appOrigin, userId, {
      ...(this.staleClaims ? { metadata: {} } : {}),
      ...(membership
        ? {
            o: {
              id: orgId,
              slg: this.backend.organizations.get(orgId)?.slug,
              rol: membership.role.replace(/^org:/, ""),
            },
          }
        : {}),
      ...claims,
    });
  }

  named(op: string): ClerkFrontendCall[] {
    return this.calls.filter((call) => call.op === op);
  }

  handle(op: string, payload: Json): Json {
    this.calls.push({ op, payload: structuredClone(payload) });
    const failure = this.failures.find((f) => f.op === op);
    if (failure) {
      this.failures.splice(this.failures.indexOf(failure), 1);
      return { error: failure.error };
    }
    switch (op) {
      case "signUp.create":
        return this.createSignUp(payload.params as Json);
      case "signUp.sendEmailCode":
        return this.sendCode(this.signUps, payload.id, "emailAddress");
      case "signUp.verifyEmailCode":
        return this.verifySignUp(payload.id as string, String(payload.code));
      case "signIn.create":
        return this.createSignIn(payload.params as Json);
      case "signIn.sendCode":
        return this.sendCode(this.signIns, payload.id, "identifier");
      case "signIn.verifyCode":
        return this.verifySignIn(payload.id as string, String(payload.code));
      case "session.activate":
      case "session.getToken": {
        const userId = String(payload.sessionId ?? "").replace(/^sess_/, "");
        if (!this.backend.users.has(userId)) {
          return { error: apiError(404, "resource_not_found", "Session not found") };
        }
        const token = this.sessionToken(userId);
        const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
        return { token, clientUat: claims.iat };
      }
      case "organization.create":
        return this.createOrganization(String(payload.sessionId ?? ""), String(payload.name ?? ""));
      case "signOut":
        return {};
      default:
        return { error: apiError(404, "not_implemented", `The fake does not implement ${op}`) };
    }
  }

  /** As Clerk does: the creator becomes its admin and the new organization the active one. */
  private createOrganization(sessionId: string, name: string) {
    const userId = sessionId.replace(/^sess_/, "");
    if (!this.backend.users.has(userId)) {
      return { error: apiError(404, "resource_not_found", "Session not found") };
    }
    const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${randomBytes(3).toString("hex")}`;
    const organization = this.backend.addOrganization({ name, slug, created_by: userId });
    this.backend.addMembership({ organizationId: organization.id, userId, role: "org:admin" });
    this.activeOrganizations.set(userId, organization.id);
    return { token: this.sessionToken(userId), organization };
  }

  private userWithEmail(email: string) {
    return [...this.backend.users.values()].find((user) =>
      user.email_addresses.some((address) => address.email_address === email),
    );
  }

  private createSignUp(params: Json) {
    const email = String(params.emailAddress ?? "");
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      return {
        error: apiError(
          422,
          "form_param_format_invalid",
          "email_address must be a valid email address.",
          "email_address",
        ),
      };
    }
    if (this.userWithEmail(email)) {
      return {
        error: apiError(
          422,
          "form_identifier_exists",
          "That email address is taken. Please try another.",
          "email_address",
        ),
      };
    }
    const signUp = {
      id: id("sua_"),
      status: "missing_requirements",
      emailAddress: email,
      unsafeMetadata: params.unsafeMetadata ?? {},
      unverifiedFields: ["email_address"],
      missingFields: [],
      emailVerification: null,
      createdSessionId: null,
      createdUserId: null,
    };
    this.signUps.set(signUp.id, signUp);
    return { resource: signUp };
  }

  private sendCode(attempts: Map<string, Json>, attemptId: unknown, emailKey: string) {
    const attempt = attempts.get(String(attemptId));
    if (!attempt) return { error: apiError(404, "resource_not_found", "Not found") };
    this.codesSentTo.push(String(attempt[emailKey]));
    attempt.emailVerification = "unverified";
    return { resource: attempt };
  }

  private verifySignUp(signUpId: string, code: string) {
    const signUp = this.signUps.get(signUpId);
    if (!signUp) return { error: apiError(404, "resource_not_found", "Not found") };
    if (code !== this.code) {
      return { error: apiError(422, "form_code_incorrect", "Incorrect code", "code") };
    }
    const user = this.backend.addUser({
      email: String(signUp.emailAddress),
      unsafe_metadata: signUp.unsafeMetadata as Json,
    });
    Object.assign(signUp, {
      status: "complete",
      emailVerification: "verified",
      unverifiedFields: [],
      createdUserId: user.id,
      createdSessionId: `sess_${user.id}`,
    });
    this.onUserCreated?.(user);
    return { resource: signUp };
  }

  private createSignIn(params: Json) {
    const identifier = String(params.identifier ?? "");
    const user = this.userWithEmail(identifier);
    if (!user) {
      return {
        error: apiError(
          422,
          "form_identifier_not_found",
          "Couldn't find your account.",
          "identifier",
        ),
      };
    }
    const signIn = {
      id: id("sia_"),
      status: "needs_first_factor",
      identifier,
      userId: user.id,
      createdSessionId: null,
    };
    this.signIns.set(signIn.id, signIn);
    return { resource: signIn };
  }

  private verifySignIn(signInId: string, code: string) {
    const signIn = this.signIns.get(signInId);
    if (!signIn) return { error: apiError(404, "resource_not_found", "Not found") };
    if (code !== this.code) {
      return { error: apiError(422, "form_code_incorrect", "Incorrect code", "code") };
    }
    Object.assign(signIn, { status: "complete", createdSessionId: `sess_${signIn.userId}` });
    return { resource: signIn };
  }
}
