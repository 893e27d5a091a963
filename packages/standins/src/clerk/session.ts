import { createPublicKey, createSign, generateKeyPairSync, type KeyObject } from "node:crypto";

/**
 * What a Clerk instance signs with: session tokens and handshake tokens are RS256 JWTs under the
 * instance's key, and the app verifies them networklessly with the public half (CLERK_JWT_KEY).
 */
export interface InstanceKeys {
  privateKey: KeyObject;
  /** The PEM (SPKI) the app is configured with as CLERK_JWT_KEY. */
  publicKeyPem: string;
  /** The Frontend API origin, the tokens' `iss`. */
  issuer: string;
}

export function instanceKeys(privateKey: KeyObject, issuer: string): InstanceKeys {
  const publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" });
  return { privateKey, publicKeyPem: publicKeyPem.toString(), issuer };
}

/** A fresh instance key (RSA-2048), as a new Clerk instance has. */
export function newInstanceKeys(issuer: string): InstanceKeys {
  return instanceKeys(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, issuer);
}

/** An RS256 JWT as Clerk signs it. */
export function signJwt(privateKey: KeyObject, payload: object): string {
  const header = { alg: "RS256", typ: "JWT", kid: "ins_onramp_standin" };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const signingInput = `${encode(header)}.${encode(payload)}`;
  const signature = createSign("RSA-SHA256")
    .update(signingInput)
    .sign(privateKey)
    .toString("base64url");
  return `${signingInput}.${signature}`;
}

export interface SessionTokenOptions {
  userId: string;
  /** The app's origin, the token's authorized party. */
  azp: string;
  /** Claims to add or override (undefined removes one). */
  claims?: Record<string, unknown>;
  /** Seconds until expiry; negative for a token that has already expired. */
  expiresIn: number;
}

/** A session token as Clerk's Frontend API mints it (v2 claims). */
export function mintSessionToken(
  keys: Pick<InstanceKeys, "privateKey" | "issuer">,
  { userId, azp, claims = {}, expiresIn }: SessionTokenOptions,
): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(keys.privateKey, {
    iss: keys.issuer,
    sub: userId,
    sid: `sess_${userId}`,
    azp,
    iat: Math.min(now, now + expiresIn) - 5,
    nbf: Math.min(now, now + expiresIn) - 10,
    exp: now + expiresIn,
    v: 2,
    sts: "active",
    ...claims,
  });
}

/** A JWT's claims, unverified (the caller signed it, or only reads it). */
export const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());
