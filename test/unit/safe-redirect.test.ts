import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "@/lib/routes";

/**
 * sign-in's redirect_url (issue 15): only a path on this site. The hostile values are the usual
 * open-redirect corpora (PayloadsAllTheThings, OWASP's cheat sheet) aimed at evil.example, for an
 * app served at https://app.example.
 */
const app = "https://app.example";
const fallback = "/dashboard";
const follow = (value: string | null | undefined) => safeRedirectPath(value, fallback, app);

/** Where a browser goes after `router.push(path)` on the app: the origin that counts. */
const landsOn = (path: string) => new URL(path, app).origin;

describe("safeRedirectPath", () => {
  it.each([
    ["/dashboard", "/dashboard"],
    ["/dashboard?x=1#top", "/dashboard?x=1#top"],
    ["/org/licensing?checkout=success", "/org/licensing?checkout=success"],
    ["/after-sign-up", "/after-sign-up"],
    // An absolute URL on the app's own origin is its path.
    ["https://app.example/org/licensing", "/org/licensing"],
    ["https://APP.example:443/dashboard", "/dashboard"],
    // Dot segments resolve as the browser resolves them, on this site.
    ["/org/../dashboard", "/dashboard"],
    // Encoded characters that are not tricks stay as they are.
    ["/search?q=a%20b", "/search?q=a%20b"],
    // The app's own scheme without slashes is relative, for the browser as for URL: a path here.
    ["https:/evil.example", "/evil.example"],
  ])("follows %j to %j", (value, path) => {
    expect(follow(value)).toBe(path);
  });

  const hostile: Record<string, string[]> = {
    "empty or missing": ["", null as unknown as string, undefined as unknown as string],
    "another origin": [
      "https://evil.example",
      "http://evil.example/dashboard",
      "https://app.example.evil.example/",
      "http://app.example/dashboard", // same host, other scheme: another origin
      "https://app.example:8443/dashboard",
      "https://evil.example#https://app.example",
      "https://evil.example?next=https://app.example",
      "ftp://evil.example",
    ],
    "protocol-relative and extra slashes": [
      "//evil.example",
      "///evil.example",
      "////evil.example",
      "//evil.example/%2f..",
      "//evil.example//",
      "https:///evil.example",
      "http:/\\/\\evil.example",
    ],
    "backslashes and mixed slashes": [
      "/\\evil.example",
      "\\/evil.example",
      "\\\\evil.example",
      "/\\/evil.example",
      "\\/\\/evil.example",
      "/\\\\evil.example",
      "/dashboard\\..\\..\\evil",
      "//evil.example\\@app.example",
    ],
    "control characters browsers strip (tab, newline, carriage return, NUL)": [
      "/\t/evil.example",
      "/\n/evil.example",
      "/\r/evil.example",
      "/\r\n/evil.example",
      "\t//evil.example",
      "/\x00/evil.example",
      "/dashboard\x0b",
      "/\u0085/evil.example",
      "java\tscript:alert(1)",
      "java\nscript:alert(1)",
    ],
    "percent-encoded slashes, backslashes and controls": [
      "/%09/evil.example",
      "/%0a/evil.example",
      "/%0d/evil.example",
      "/%00/evil.example",
      "/%5cevil.example",
      "/%5C%5Cevil.example",
      "%2f%2fevil.example",
      "/%2f%2fevil.example",
      "%2F%2Fevil.example",
      "%5c%5cevil.example",
      "https%3A%2F%2Fevil.example",
      "%E0%A4%A", // not decodable at all
    ],
    "userinfo @": [
      "https://app.example@evil.example",
      "https://app.example:443@evil.example",
      "//app.example@evil.example",
      "//app.example%40evil.example",
      "https://user:pass@evil.example/dashboard",
      "/@evil.example/../..//evil.example",
    ],
    "leading spaces the URL parser trims": [" //evil.example", "  https://evil.example"],
    "dot segments that collapse into //host": [
      "/.//evil.example",
      "/..//evil.example",
      "/././/evil.example",
      "/dashboard/..//evil.example",
      "/%2e//evil.example",
    ],
    "script and data URLs": [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(document.domain)",
      "javascript://app.example/%0aalert(1)",
      " javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "blob:https://evil.example/uuid",
    ],
    "internationalized look-alikes": [
      "//evil%E3%80%82example", // U+3002 ideographic full stop, read as "."
      "//evil。example",
      "https://evil.example／dashboard",
      "//ⓔvil.example",
    ],
  };

  for (const [trick, values] of Object.entries(hostile)) {
    it(`refuses ${trick}`, () => {
      for (const value of values) {
        expect({ value, path: follow(value) }).toEqual({ value, path: fallback });
      }
    });
  }

  it("never returns a path that leaves the site, whatever the input", () => {
    const pieces = [
      "/",
      "\\",
      "//",
      "%2f",
      "%5c",
      "\t",
      "@",
      ".",
      "..",
      "evil.example",
      ":",
      "%09",
    ];
    // Every 3-piece combination: a small fuzz over the characters the tricks above are made of.
    for (const a of pieces)
      for (const b of pieces)
        for (const c of pieces) {
          const path = follow(a + b + c);
          expect({ input: a + b + c, origin: landsOn(path) }).toEqual({
            input: a + b + c,
            origin: app,
          });
          expect(path.startsWith("//")).toBe(false);
        }
  });
});
