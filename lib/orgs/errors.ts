export type LicensingErrorCode =
  | "signed_out"
  | "no_organization"
  | "forbidden"
  | "not_a_member"
  | "no_free_seats"
  | "invalid_quantity"
  | "billing_off"
  | "already_subscribed"
  | "checkout_starting"
  | "no_subscription"
  | "not_ready"
  | "vendor_unavailable"
  | "org_deleted";

/** A refusal or failure the page shows as is: the message says what happened and what to do. */
export class LicensingError extends Error {
  constructor(
    readonly code: LicensingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LicensingError";
  }
}
