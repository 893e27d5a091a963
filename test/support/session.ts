import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { instanceKeys, mintSessionToken as mintWith } from "@onramp/standins/clerk";

/**
 * Clerk session tokens for tests, signed RS256 with a fixed local RSA-2048 key. Its public half is
 * CLERK_JWT_KEY in vitest.config.ts, so the app verifies them networklessly like real ones. The
 * key is a test fixture and guards nothing.
 */
export const sessionPrivateKey: KeyObject = createPrivateKey(`-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDZzrbfN+0ZiqoR
PsOq8ZXXTCB9NIybzuR14HqCtKksKXsgAWwpQddSdQ4ruR79EPnCZKmmtQMSLO93
HiKAij+05gGcvfm9fe6rgZ7B1547fNYKyy7sBUCDZmS89M0qf7hbNOOfAGxNP4MC
J5Y09/uZtg82GekpxXR6l3GvnntCaDQ8gKgdAq97O1ypU+qm73e36NFWdDDUcO4Z
dFleXMmin9Jlf2x6fJkAx3y2i6j52k0r4/EWR8YfvzXxxVt9ay1fHfok5jYBjCnk
dehQiXiA8HgcIQUp1b/SFQ5JxmsqIpbBktAKNryNlywWBk5Je/2/ekABAyzf4OQ1
DmDsWbYxAgMBAAECggEAAXQC3dXkb9NwQ4mw6gLPHl7cZ6FyX7a/aPbsslMMvuXu
85120IanLl5oEAwd5A/ZLr4XsKxL/zLMDTYnAkcJ2kXflGFjGWvN7BiDC+WJoXl5
fxxwbXQyhD3qZaVXehVckEU30I+C6XgHQnwroSJXbCTeEJ0XJGd0Gb5JbKPIzD5d
Fc7xMbwE9JSoB4bg164abuygI1IwbJNIbdfQPYpYV/C/qGmS/0SoYWdewoAzbafj
I9yPdB9xFZzLbpJUlbQaJUUubCJ64HC+zCHffN6ZAgsdKLbrB58YKGIuvOkCbGKu
cByw3DgdV5l5kv0lnBO4EYpQmtEjhDYSTlFJU4VCEQKBgQDz05fM3++cRRJ36Gq7
wugLKrZyBmh4FFDEEgv76Gw1aKCpnJ4fOMXkoQxXXJQ8CYogELlPDg5UO6PnvnX0
UxC6UzdKqCyKtLJs7GGQvjtLhpvPKMz3RtbbjZBWVbKTLJypFQXcbVABnQxr6T6Z
qI99io/xKu1wohoxPRH/wXfhiQKBgQDkrpC9kY0JMyq7XsBGtvqfnkmby2PWv2s/
w6Se07ZkV81WEJyPp37/R27wJgdGYZCNRX8MxkXpS/QNb+ZdVr17wcsOJkcznd4i
6e2hWJX36NdlSC1qg+3lTiA88uh4Lg5yssThhAiBb/2MhxtfBI4nWuSpNyGwU64Z
WIkaSphNaQKBgQCFSs/6hRUlNbFh8aGfoW5e5Gu2rAAiXODGPyNkA+xbyiXCc0cR
xGSSluP7QjYbGA/1dY8IQ6Pbsnro7nrnJR3I7kMUwhkPfrbnytWPXh9mK2Ez/5cF
Oymr/pjASbsEr+e4mzCIDw4kw6kNuQWq1LYUqFIGQjRpVYTCFCOp0CbsGQKBgCO4
dNl3q90dBfbApS4mlN1r/zl7urunqNwL9mHs1he0c1mXPK1fz4GWqeiPOCGxScAX
c/IN4ou/ln6m1QgNbYmwSsSKDCMu7Kztd3X1fW99CnBCpv11YCqqWnTKyK9FGnKm
JATJ9/4n/SX/ULI15vKUyxT3jKabW52P69KUhlfJAoGAb//EgNW5x4wmoRxojNqD
98y7nBFZarZplujAYNQY7alVisAPdGqcvJ45jzqDlbp04CCdwF5VijsbMR2TdB9A
s0Fc0EAMTDe3ytvuOK6RwhRLjdLi2l/xwxSeNE3iH3xxvma13A+voSEpsahB+o9z
Bwdpi2QmUusnA6CPcxzlgys=
-----END PRIVATE KEY-----
`);
/** The key as an instance's keys, for the Clerk stand-ins (test/browser's FakeClerkFrontend). */
export const testInstanceKeys = instanceKeys(sessionPrivateKey, "https://clerk.onramp.test");
/** The PEM (SPKI) the app is configured with as CLERK_JWT_KEY. */
export const sessionPublicKeyPem = testInstanceKeys.publicKeyPem;

/** A key pair the app does not trust, for forged tokens. */
export const foreignKeyPair = () => generateKeyPairSync("rsa", { modulusLength: 2048 });

/** The app's origin (APP_URL's default), the token's authorized party. */
export const sessionAuthorizedParty = "http://localhost:3000";

export interface MintOptions {
  userId: string;
  /** Claims to add or override (undefined removes one). */
  claims?: Record<string, unknown>;
  /** Seconds until expiry; negative for a token that has already expired. Default 60. */
  expiresIn?: number;
  /** Sign with another key (a forgery). */
  privateKey?: KeyObject;
}

/** A session token as Clerk's Frontend API mints it (v2 claims), signed with the test key. */
export function mintSessionToken({ userId, claims = {}, expiresIn = 60, privateKey }: MintOptions) {
  return mintWith(
    { ...testInstanceKeys, privateKey: privateKey ?? sessionPrivateKey },
    { userId, azp: sessionAuthorizedParty, claims, expiresIn },
  );
}

/**
 * Request headers that carry a session the way a client does: `bearer` as an API client sends it;
 * `cookie` as a browser on a development instance does (the session cookie, the client's last
 * sign-in time, and the dev-browser cookie Clerk expects with a pk_test key).
 */
export function sessionHeaders(token: string, via: "bearer" | "cookie" = "bearer"): HeadersInit {
  if (via === "bearer") return { authorization: `Bearer ${token}` };
  const issuedAt = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).iat;
  return {
    cookie: `__session=${token}; __client_uat=${issuedAt}; __clerk_db_jwt=dvb_onramp_test`,
  };
}
