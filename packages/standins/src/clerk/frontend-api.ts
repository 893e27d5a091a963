import { createVerify, randomBytes } from "node:crypto";
import type { OrganizationJSON, UserJSON } from "@clerk/backend";
import type { ClerkStandIn } from "./backend-api";
import { claimsOf, mintSessionToken, signJwt, type InstanceKeys } from "./session";

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
 * A session token for the user as Clerk would mint it now for this app: the instance's key, `azp`
 * the app's origin, and the `metadata` claim (`{{user.public_metadata}}`) from the Clerk stand-in.
 * `claims` add or override (e.g. `{ sts: "pending" }`).
 */
export function sessionToken(
  backend: ClerkStandIn,
  keys: InstanceKeys,
  appOrigin: string,
  userId: string,
  claims: Json = {},
): string {
  const user = backend.users.get(userId);
  return mintSessionToken(keys, {
    userId,
    azp: appOrigin,
    expiresIn: 3600,
    claims: { metadata: user?.public_metadata ?? {}, ...claims },
  });
}

const id = (prefix: string) => `${prefix}${randomBytes(10).toString("hex")}`;

/**
 * The other side of the simulated clerk-js (standins/browser/clerk-js.ts): Clerk's Frontend API.
 * It records what the page sent, keeps sign-ups and sign-ins as Clerk does, creates users in the
 * Clerk Backend API stand-in (so the server sees the same users), and mints session tokens with
 * the instance's key, carrying the `metadata` claim (`{{user.public_metadata}}`) as the session
 * template in README.md configures it. The browser suite answers the page through a Playwright
 * binding; demo mode over HTTP (standins/demo/browser-server.ts).
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
    readonly keys: InstanceKeys,
  ) {}

  /** The next call of `op` (e.g. "signUp.sendEmailCode") fails with this Clerk API error. */
  failNext(op: string, status: number, code: string, message: string) {
    this.failures.push({ op, error: apiError(status, code, message) });
  }

  /** While set, new tokens carry no metadata, as when Clerk has not caught up with a write yet. */
  staleClaims = false;
  /** Clerk's `user.created` webhook for a completed sign-up; off unless a test sets it. */
  onUserCreated: ((user: UserJSON) => void) | null = null;
  /** Clerk's `organization.created` webhook for an organization created in the browser. */
  onOrganizationCreated: ((organization: OrganizationJSON) => void) | null = null;
  /**
   * With a value, the answer to every code sent says what the email held (`codeSent`), so a
   * page with no inbox behind it can show it (demo mode); tests read `code` instead.
   */
  showCodes = false;
  /** Each user's active organization, carried as the token's v2 `o` claim. */
  private readonly activeOrganizations = new Map<string, string>();

  sessionToken(userId: string, claims: Json = {}): string {
    const orgId = this.activeOrganizations.get(userId);
    const membership = orgId && this.backend.memberships.get(`${orgId}:${userId}`);
    return sessionToken(this.backend, this.keys, this.appOrigin, userId, {
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
      case "client":
        return { signedIn: this.knows(String(payload.token ?? "")) };
      case "organization.create":
        return this.createOrganization(String(payload.sessionId ?? ""), String(payload.name ?? ""));
      case "signOut":
        return {};
      default:
        return { error: apiError(404, "not_implemented", `The fake does not implement ${op}`) };
    }
  }

  /**
   * Whether a session token is one of this instance's, for a user it still has: what Clerk's
   * Frontend API answers about the browser's client when clerk-js loads.
   */
  private knows(token: string): boolean {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return false;
    const signed = createVerify("RSA-SHA256")
      .update(`${header}.${payload}`)
      .verify(this.keys.publicKeyPem, signature, "base64url");
    return signed && this.backend.users.has(String(claimsOf(token).sub));
  }

  /**
   * Clerk's answer when the app sends a browser to `/v1/client/handshake` (a development
   * instance does when a page load has no dev-browser cookie, or an expired session token): back
   * to `redirect_url` with a handshake token that sets the cookies anew, a fresh session token
   * for a session this instance knows, none otherwise.
   */
  handshakeRedirect(request: URL): string {
    const back = new URL(request.searchParams.get("redirect_url") ?? this.appOrigin);
    const expired = request.searchParams.get("__session") ?? "";
    const devBrowser = request.searchParams.get("__clerk_db_jwt") ?? `dvb_${id("")}`;
    const cookie = (name: string, value: string, maxAge?: number) =>
      `${name}=${value}; Path=/; SameSite=Lax${maxAge === undefined ? "" : `; Max-Age=${maxAge}`}`;
    const directives = [cookie("__clerk_db_jwt", devBrowser)];
    if (this.knows(expired)) {
      const token = this.sessionToken(String(claimsOf(expired).sub));
      directives.push(
        cookie("__session", token),
        cookie("__client_uat", String(claimsOf(token).iat)),
      );
    } else {
      directives.push(cookie("__session", "", 0), cookie("__client_uat", "0"));
    }
    back.searchParams.set(
      "__clerk_handshake",
      signJwt(this.keys.privateKey, { handshake: directives }),
    );
    return back.href;
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
    this.onOrganizationCreated?.(organization);
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
    if (!this.showCodes) return { resource: attempt };
    return { resource: attempt, codeSent: { to: attempt[emailKey], code: this.code } };
  }

  private verifySignUp(signUpId: string, code: string) {
    const signUp = this.signUps.get(signUpId);
    if (!signUp) return { error: apiError(404, "resource_not_found", "Not found") };
    if (code !== this.code) {
      return { error: apiError(422, "form_code_incorrect", "Incorrect code", "code") };
    }
    // The form asks for no name, so the user has none (the seed's example user has one).
    const user = this.backend.addUser({
      email: String(signUp.emailAddress),
      first_name: null,
      last_name: null,
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
