import type { OrganizationJSON, OrganizationMembershipJSON, UserJSON } from "@clerk/backend";
import {
  OpenApiContract,
  formatViolation,
  readContractJson,
  type Operation,
  type Violation,
} from "../openapi";
import { StandIn, clone, newId, type Incoming, type Json, type Reply } from "../standin";

// Parsing the 740 KB spec takes ~1 s: only files that talk to Clerk pay for it.
let contract: OpenApiContract | undefined;
const bapi = () => (contract ??= new OpenApiContract("clerk/bapi-2026-05-12.yml"));

const example = (file: string): Json => readContractJson("clerk-webhooks", file).data;

const clerkError = (
  status: number,
  code: string,
  message: string,
  longMessage = message,
  meta?: Json,
): Reply => ({
  status,
  body: {
    errors: [{ code, message, long_message: longMessage, ...(meta ? { meta } : {}) }],
    clerk_trace_id: newId("", 32),
  },
});
const notFound = (what: string) =>
  clerkError(404, "resource_not_found", "not found", `${what} not found`);

/** Clerk's merge: objects merge recursively, `null` removes a key at any depth, anything else replaces. */
export function deepMerge(target: Json, patch: Json): Json {
  const out = target && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete out[k];
    else if (v && typeof v === "object" && !Array.isArray(v)) out[k] = deepMerge(out[k], v);
    else out[k] = v;
  }
  return out;
}

export type SeedUser = Partial<UserJSON> & {
  /** shorthand: becomes a verified primary email address */
  email?: string;
};

/**
 * Clerk Backend API as the real @clerk/backend client calls it (apiUrl http://clerk.test).
 * Every request is checked against the published BAPI OpenAPI spec; breaches get 422 and land in
 * `violations`. Replies are checked too (`responseViolations`) so the stand-in stays spec-shaped.
 */
export class ClerkStandIn extends StandIn {
  readonly users = new Map<string, UserJSON>();
  readonly organizations = new Map<string, OrganizationJSON>();
  /** keyed `${organizationId}:${userId}` */
  readonly memberships = new Map<string, OrganizationMembershipJSON>();
  readonly responseViolations: string[] = [];
  /** served at GET /v1/jwks (the SDK fetches it when no jwtKey is given): push public JWKs with a `kid` */
  jwks: { keys: Json[] } = { keys: [] };

  protected resetState(): void {
    this.jwks = { keys: [] };
    this.users.clear();
    this.organizations.clear();
    this.memberships.clear();
    this.responseViolations.length = 0;
  }

  protected failureBody(status: number): unknown {
    const code =
      status === 429
        ? "too_many_requests"
        : status >= 500
          ? "internal_clerk_error"
          : "injected_error";
    return clerkError(
      status,
      code,
      status === 429 ? "Too many requests" : `Injected failure ${status}`,
    ).body;
  }

  protected onInjectedFailure(req: Incoming): void {
    this.validate(req);
  }

  // ---------- seeding ----------

  addUser(seed: SeedUser = {}): UserJSON {
    const { email, ...fields } = seed;
    const at = Date.now();
    const emailId = newId("idn_");
    const emails = email
      ? [
          {
            id: emailId,
            object: "email_address",
            email_address: email,
            reserved: false,
            verification: {
              object: "verification_ticket",
              status: "verified",
              strategy: "ticket",
              attempts: null,
              expire_at: null,
            },
            linked_to: [],
            created_at: at,
            updated_at: at,
          },
        ]
      : [];
    const user: Json = {
      ...example("user.created.json"),
      id: newId("user_"),
      external_id: null,
      primary_email_address_id: email ? emailId : null,
      email_addresses: emails,
      public_metadata: {},
      private_metadata: {},
      unsafe_metadata: {},
      created_at: at,
      updated_at: at,
      last_sign_in_at: null,
      last_active_at: null,
      ...fields,
    };
    this.users.set(user.id, user);
    return clone(user);
  }

  addOrganization(seed: Partial<OrganizationJSON> = {}): OrganizationJSON {
    const at = Date.now();
    const id = seed.id ?? newId("org_");
    const org: Json = {
      ...example("organization.created.json"),
      id,
      slug: `org-${id.slice(4, 12).toLowerCase()}`,
      members_count: 0,
      created_at: at,
      updated_at: at,
      ...seed,
    };
    this.organizations.set(id, org);
    return clone(org);
  }

  addMembership(
    seed: {
      organizationId: string;
      userId: string;
      role?: string;
    } & Partial<OrganizationMembershipJSON>,
  ): OrganizationMembershipJSON {
    const { organizationId, userId, role = "org:member", ...fields } = seed;
    const org: Json =
      this.organizations.get(organizationId) ?? this.addOrganization({ id: organizationId });
    const user: Json = this.users.get(userId);
    const at = Date.now();
    const base = example("organizationMembership.created.json");
    const membership: Json = {
      ...base,
      id: newId("orgmem_"),
      role,
      role_name: role === "org:admin" ? "Admin" : "Member",
      public_metadata: {},
      private_metadata: {},
      organization: org,
      public_user_data: {
        ...base.public_user_data,
        user_id: userId,
        first_name: user?.first_name ?? null,
        last_name: user?.last_name ?? null,
        identifier: user?.email_addresses?.[0]?.email_address ?? userId,
      },
      created_at: at,
      updated_at: at,
      ...fields,
    };
    this.memberships.set(`${organizationId}:${userId}`, membership);
    org.members_count = [...this.memberships.keys()].filter((k) =>
      k.startsWith(`${organizationId}:`),
    ).length;
    return clone(membership);
  }

  // ---------- HTTP ----------

  private validate(req: Incoming): Operation | Reply {
    const op = bapi().match(req.method, req.path);
    if (op === undefined || op === "method-not-allowed") {
      const why = op ? "method not allowed" : "path not in the BAPI spec";
      this.violations.push(`${req.method} ${req.path}: ${why}`);
      return clerkError(op ? 405 : 404, "resource_not_found", why);
    }
    const found = bapi().validateRequest(op, req);
    if (!found.length) return op;
    this.violations.push(
      ...found.map((v) => `${req.method} ${op.template}: ${formatViolation(v)}`),
    );
    return {
      status: 422,
      body: {
        errors: found.map((v: Violation) => ({
          code:
            v.keyword === "additionalProperties"
              ? "form_param_unknown"
              : v.keyword === "required"
                ? "form_param_missing"
                : "form_param_format_invalid",
          message: v.message,
          long_message: formatViolation(v),
          meta: { param_name: v.at },
        })),
        clerk_trace_id: newId("", 32),
      },
    };
  }

  protected route(req: Incoming): Reply {
    if (!/^Bearer sk_/.test(req.headers.authorization ?? ""))
      return clerkError(
        401,
        "authentication_invalid",
        "Invalid authentication",
        "The secret key is missing or invalid.",
      );
    const op = this.validate(req);
    if ("status" in op) return op;
    const reply = this.dispatch(op, req);
    for (const v of bapi().validateResponse(op, reply.status, reply.body))
      this.responseViolations.push(`${op.operationId} ${reply.status}: ${formatViolation(v)}`);
    return reply;
  }

  private dispatch(op: Operation, req: Incoming): Reply {
    const { user_id: userId, organization_id: orgId } = op.params;
    const body = req.body ?? {};
    const ok = (o: unknown): Reply => ({ status: 200, body: clone(o) });
    const user: Json = userId ? this.users.get(userId) : undefined;
    const org: Json = orgId ? this.orgByIdOrSlug(orgId) : undefined;
    const touch = (o: Json) => ((o.updated_at = Date.now()), o);

    switch (op.operationId) {
      case "GetUser":
        return user ? ok(user) : notFound("User");
      case "GetUserList":
      case "GetUsersCount": {
        const list = this.findUsers(req.query);
        if (op.operationId === "GetUsersCount")
          return ok({ object: "total_count", total_count: list.length });
        const offset = Number(req.query.offset ?? 0);
        return ok(list.slice(offset, offset + Number(req.query.limit ?? 10)));
      }
      case "GetJWKS":
        return ok(this.jwks);
      case "UpdateUser": {
        if (!user) return notFound("User");
        const fields = { ...body };
        delete fields.notify_primary_email_address_changed; // an instruction, not a user field
        return ok(touch(Object.assign(user, fields)));
      }
      case "DeleteUser":
        if (!this.users.delete(userId!)) return notFound("User");
        return ok({ id: userId, object: "user", deleted: true });
      case "UpdateUserMetadata":
      case "ReplaceUserMetadata": {
        if (!user) return notFound("User");
        for (const k of ["public_metadata", "private_metadata", "unsafe_metadata"] as const)
          if (body[k] !== undefined)
            user[k] =
              op.operationId === "ReplaceUserMetadata" ? body[k] : deepMerge(user[k], body[k]);
        return ok(touch(user));
      }
      case "GetOrganization":
        return org ? ok(org) : notFound("Organization");
      case "ListOrganizations": {
        const ids = [req.query.organization_id ?? []].flat() as string[];
        const list = [...this.organizations.values()].filter(
          (o) => !ids.length || ids.includes(o.id),
        );
        const offset = Number(req.query.offset ?? 0);
        const limit = Number(req.query.limit ?? 10);
        return ok({ data: list.slice(offset, offset + limit), total_count: list.length });
      }
      case "UpdateOrganization":
        if (!org) return notFound("Organization");
        return ok(
          touch(
            Object.assign(
              org,
              Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)),
            ),
          ),
        );
      case "MergeOrganizationMetadata":
      case "ReplaceOrganizationMetadata": {
        if (!org) return notFound("Organization");
        for (const k of ["public_metadata", "private_metadata"] as const)
          if (body[k] !== undefined)
            org[k] =
              op.operationId === "ReplaceOrganizationMetadata"
                ? body[k]
                : deepMerge(org[k], body[k]);
        return ok(touch(org));
      }
      case "ListOrganizationMemberships": {
        if (!org) return notFound("Organization");
        const userIds = [req.query.user_id ?? []].flat() as string[];
        const roles = [req.query.role ?? []].flat() as string[];
        const all = [...this.memberships.entries()]
          .filter(([k]) => k.startsWith(`${org.id}:`))
          .map(([, m]: [string, Json]) => ({ ...m, organization: org }))
          .filter(
            (m: Json) =>
              (!userIds.length || userIds.includes(m.public_user_data.user_id)) &&
              (!roles.length || roles.includes(m.role)),
          );
        const offset = Number(req.query.offset ?? 0);
        const limit = Number(req.query.limit ?? 10);
        return ok({ data: all.slice(offset, offset + limit), total_count: all.length });
      }
      case "UpdateOrganizationMembershipMetadata": {
        if (!org) return notFound("Organization");
        const m: Json = this.memberships.get(`${org.id}:${userId}`);
        if (!m) return notFound("Membership");
        for (const k of ["public_metadata", "private_metadata"] as const)
          if (body[k] !== undefined) m[k] = deepMerge(m[k], body[k]);
        return ok({ ...touch(m), organization: org });
      }
    }
    this.violations.push(
      `clerk stand-in does not implement ${op.operationId} (${op.method} ${op.template})`,
    );
    return clerkError(
      501,
      "not_implemented",
      `${op.operationId} is not implemented by the stand-in`,
    );
  }

  private findUsers(query: Record<string, Json>): UserJSON[] {
    const wanted = (k: string) => [query[k] ?? []].flat() as string[];
    const [emails, ids, externals] = [
      wanted("email_address"),
      wanted("user_id"),
      wanted("external_id"),
    ];
    return [...this.users.values()].filter(
      (u: Json) =>
        (!emails.length || u.email_addresses.some((e: Json) => emails.includes(e.email_address))) &&
        (!ids.length || ids.includes(u.id)) &&
        (!externals.length || externals.includes(u.external_id)),
    );
  }

  private orgByIdOrSlug(idOrSlug: string): OrganizationJSON | undefined {
    return (
      this.organizations.get(idOrSlug) ??
      [...this.organizations.values()].find((o) => o.slug === idOrSlug)
    );
  }

  protected parseQuery(search: URLSearchParams): Record<string, Json> {
    const out: Record<string, Json> = {};
    // Clerk list filters repeat keys (user_id=a&user_id=b)
    for (const [k, v] of search) out[k] = k in out ? [out[k]].flat().concat(v) : v;
    return out;
  }
}
