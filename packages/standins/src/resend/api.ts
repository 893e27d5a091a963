import { randomUUID } from "node:crypto";
import { OpenApiContract, formatViolation, type Operation } from "../openapi";
import { StandIn, canonical, clone, type Incoming, type Json, type Reply } from "../standin";

let contract: OpenApiContract | undefined;
const spec = () => (contract ??= new OpenApiContract("resend/resend.yaml"));

const resendError = (statusCode: number, name: string, message: string): Reply => ({
  status: statusCode,
  body: { statusCode, name, message },
});

// Documented in the spec's Tag descriptions (not expressible in its schema).
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;
// Resend accepts `email@x.y` or `Name <email@x.y>`.
const ADDRESS = /^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;

export interface DeliveredEmail {
  id: string;
  from: string;
  /** as sent (string or array); `recipients` is always an array */
  to: string | string[];
  recipients: string[];
  subject: string;
  html?: string;
  text?: string;
  /** as sent */
  tags: Array<{ name: string; value: string }>;
  idempotencyKey?: string;
  /** the raw request body */
  request: Json;
}

/**
 * Resend's email API as the `resend` SDK calls it (baseUrl http://resend.test).
 * Requests are checked against the published OpenAPI spec (3.1); idempotency follows Resend's docs:
 * same key + same body → the first response, no second email; different body → 409.
 */
export class ResendStandIn extends StandIn {
  readonly emails: DeliveredEmail[] = [];
  private idempotency = new Map<string, { fingerprint: string; reply: Reply }>();

  protected resetState(): void {
    this.emails.length = 0;
    this.idempotency.clear();
  }

  protected failureBody(status: number): unknown {
    if (status === 429)
      return resendError(
        429,
        "rate_limit_exceeded",
        "Too many requests. You can only make 2 requests per second.",
      ).body;
    if (status >= 500)
      return resendError(status, "internal_server_error", "An unexpected error occurred.").body;
    return resendError(status, "application_error", `Injected failure ${status}.`).body;
  }

  protected onInjectedFailure(req: Incoming): void {
    this.check(req);
  }

  /** Emails carrying tag `kind` = value (the app's convention). */
  emailsOfKind(kind: string): DeliveredEmail[] {
    return this.emails.filter((e) => e.tags.some((t) => t.name === "kind" && t.value === kind));
  }

  private check(req: Incoming): { op?: Operation; error?: Reply } {
    const op = spec().match(req.method, req.path);
    if (op === undefined || op === "method-not-allowed") {
      this.violations.push(`${req.method} ${req.path}: not in the Resend spec`);
      return {
        error: resendError(
          op ? 405 : 404,
          op ? "method_not_allowed" : "not_found",
          "The requested endpoint does not exist.",
        ),
      };
    }
    const found = spec().validateRequest(op, req);
    const bodies: Json[] = Array.isArray(req.body) ? req.body : [req.body];
    if (op.template.startsWith("/emails") && req.method === "POST" && typeof req.body === "object")
      for (const [i, email] of bodies.entries()) {
        const at = Array.isArray(req.body) ? `body.${i}` : "body";
        for (const [j, tag] of (email?.tags ?? []).entries())
          for (const part of ["name", "value"] as const)
            if (typeof tag?.[part] === "string" && !TAG_PART.test(tag[part]))
              found.push({
                at: `${at}.tags.${j}.${part}`,
                keyword: "pattern",
                message: "only ASCII letters, numbers, _ and - (max 256)",
              });
        for (const field of ["from", "to", "cc", "bcc", "reply_to"] as const)
          for (const address of [email?.[field] ?? []].flat())
            if (typeof address === "string" && !ADDRESS.test(address))
              found.push({
                at: `${at}.${field}`,
                keyword: "format",
                message: `invalid address ${JSON.stringify(address)}`,
              });
      }
    if (!found.length) return { op };
    this.violations.push(
      ...found.map((v) => `${req.method} ${op.template}: ${formatViolation(v)}`),
    );
    const first = found[0]!;
    if (first.at.startsWith("header.Idempotency-Key"))
      return {
        error: resendError(400, "invalid_idempotency_key", "The key must be between 1-256 chars."),
      };
    return {
      error:
        first.keyword === "required"
          ? resendError(422, "missing_required_field", `${first.at}: ${first.message}`)
          : resendError(422, "validation_error", found.map(formatViolation).join("; ")),
    };
  }

  protected route(req: Incoming): Reply {
    if (!/^Bearer re_/.test(req.headers.authorization ?? ""))
      return resendError(401, "missing_api_key", "Missing API key in the authorization header.");
    const { op, error } = this.check(req);
    if (error) return error;
    if (req.method !== "POST" || (op!.template !== "/emails" && op!.template !== "/emails/batch")) {
      this.violations.push(`resend stand-in does not implement ${req.method} ${op!.template}`);
      return resendError(
        501,
        "not_implemented",
        `${op!.template} is not implemented by the stand-in.`,
      );
    }
    const key = req.headers["idempotency-key"];
    const scope = `${op!.template} ${key}`;
    const fingerprint = canonical(req.body);
    const saved = key !== undefined ? this.idempotency.get(scope) : undefined;
    if (saved) {
      if (saved.fingerprint !== fingerprint)
        return resendError(
          409,
          "invalid_idempotent_request",
          "Same idempotency key used with a different request payload. Change your idempotency key or payload.",
        );
      return clone(saved.reply);
    }
    const batch = op!.template === "/emails/batch";
    const ids = (batch ? req.body : [req.body]).map((email: Json) => this.deliver(email, key));
    const reply: Reply = {
      status: 200,
      body: batch ? { data: ids.map((id: string) => ({ id })) } : { id: ids[0] },
    };
    if (key !== undefined) this.idempotency.set(scope, { fingerprint, reply: clone(reply) });
    return reply;
  }

  private deliver(email: Json, idempotencyKey?: string): string {
    const id = randomUUID();
    this.emails.push({
      id,
      from: email.from,
      to: email.to,
      recipients: [email.to].flat(),
      subject: email.subject,
      html: email.html,
      text: email.text,
      tags: email.tags ?? [],
      idempotencyKey,
      request: clone(email),
    });
    return id;
  }
}
