// A stand-in for clerk-js (Clerk's browser SDK), installed as `window.Clerk` before the page's
// scripts run, with a stand-in for its UI bundle (`__internal_ClerkUICtor`). @clerk/react fetches
// neither from the CDN when they are already there (node_modules/@clerk/shared/dist/
// loadClerkJsScript.mjs: `if (isClerkProperlyLoaded()) return null`), then calls `load()`
// (@clerk/react/dist/ClerkProvider-*.mjs, getEntryChunks). `load()` finishes only once the page
// has loaded and gone idle, as the real one does when it arrives from the CDN: Clerk's components
// render nothing until then, so they hydrate like the server-rendered HTML. So the app's own
// ClerkProvider, hooks, components and forms run unchanged against this.
//
// It implements exactly what @clerk/react and onramp use: `loaded`, `addListener`, `session`
// (getToken), `user`, `organization` (the active one, from the token's `o` claim), `client`,
// `signOut`, a plain <OrganizationSwitcher> (`mountOrganizationSwitcher`: it shows the active
// organization and, once opened, creates one the way Clerk's does: create, make it active, go to
// `afterCreateOrganizationUrl`), and the Core 3 signal state `__internal_state`
// (`signUpSignal`, `signInSignal`, `waitlistSignal`, `__internal_effect`, `__internal_computed`)
// behind useSignUp/useSignIn, with the SignUpFuture/SignInFuture methods the forms call. The
// Frontend API is standins/clerk/frontend-api.ts: every call goes through `__onrampClerk` (a
// Playwright binding in the browser suite, a fetch to the stand-in in demo mode), which records it
// and answers as Clerk would. Session state lives in Clerk's own cookies (`__session`,
// `__client_uat`, `__clerk_db_jwt`), written the way clerk-js writes them, so the server-side
// proxy sees exactly what it would see with the real SDK.
//
// A browser script, not a module (see stripe-js.ts).
//
// When the Frontend API says what an email code held (`codeSent`, demo mode: there is no inbox),
// a notice on the page shows it.

(() => {
  type Json = Record<string, unknown>;
  type Fapi = (op: string, payload: Json) => Promise<Json>;
  type ApiErrorJson = {
    code: string;
    message: string;
    long_message?: string;
    meta?: { param_name?: string };
  };
  type FieldError = { code: string; message: string; longMessage?: string };
  type Listener = (resources: Json) => void;
  type Navigate = (params: { session: unknown; decorateUrl: (url: string) => string }) => unknown;
  type Hooks = {
    __onrampClerk: Fapi;
    __internal_onBeforeSetActive?: (intent?: string) => Promise<void> | void;
    __internal_onAfterSetActive?: () => Promise<void> | void;
  };

  const win = window as unknown as Hooks & { Clerk?: unknown; __internal_ClerkUICtor?: unknown };
  const fapi: Fapi = (op, payload) => win.__onrampClerk(op, payload);

  /** Recognised by @clerk/shared's isClerkAPIResponseError through `constructor.kind`. */
  class ClerkAPIResponseError extends Error {
    static kind = "ClerkAPIResponseError";
    readonly clerkError = true;
    readonly code = "api_response_error";
    readonly errors: {
      code: string;
      message: string;
      longMessage?: string;
      meta: { paramName?: string };
    }[];
    constructor(
      readonly status: number,
      errors: ApiErrorJson[],
    ) {
      super(errors[0]?.message ?? "Clerk API error");
      this.name = "ClerkAPIResponseError";
      this.errors = errors.map((error) => ({
        code: error.code,
        message: error.message,
        longMessage: error.long_message,
        meta: { paramName: error.meta?.param_name },
      }));
    }
  }

  // ---------- cookies, as clerk-js keeps them ----------
  const readCookie = (name: string) =>
    document.cookie
      .split("; ")
      .find((pair) => pair.startsWith(`${name}=`))
      ?.slice(name.length + 1);
  const writeCookie = (name: string, value: string, maxAge?: number) => {
    document.cookie = `${name}=${value}; path=/; SameSite=Lax${maxAge === undefined ? "" : `; Max-Age=${maxAge}`}`;
  };
  const claimsOf = (token: string): Json =>
    JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/")));

  // A development instance gives every browser a dev-browser token on first load.
  if (!readCookie("__clerk_db_jwt")) writeCookie("__clerk_db_jwt", `dvb_fake_${Date.now()}`);

  // ---------- session and user ----------
  type Session = {
    id: string;
    status: string;
    user: Json;
    getToken: (options?: { skipCache?: boolean }) => Promise<string | null>;
  };
  let session: Session | null = null;
  let user: Json | null = null;
  let organization: Json | null = null;
  let token: string | null = null;
  const listeners = new Set<Listener>();

  function restore() {
    token = readCookie("__session") || null;
    const clientUat = Number(readCookie("__client_uat") ?? 0);
    if (!token || !clientUat) {
      token = null;
      session = null;
      user = null;
      organization = null;
      return;
    }
    const claims = claimsOf(token);
    user = { id: claims.sub, publicMetadata: claims.metadata ?? {} };
    const active = claims.o as { id?: string; slg?: string } | undefined;
    organization = active?.id ? { id: active.id, slug: active.slg ?? null } : null;
    session = {
      id: String(claims.sid),
      status: String(claims.sts ?? "active"),
      user,
      async getToken(options = {}) {
        const current = token ? claimsOf(token) : null;
        const fresh = current && Number(current.exp) - Date.now() / 1000 > 10;
        if (!options.skipCache && fresh) return token;
        const minted = await fapi("session.getToken", { sessionId: session?.id });
        writeCookie("__session", String(minted.token));
        restore();
        emit();
        return token;
      },
    };
  }

  const client = () => ({
    sessions: session ? [session] : [],
    signedInSessions: session && session.status === "active" ? [session] : [],
  });
  const resources = () => ({ client: client(), session, user, organization });
  function emit() {
    for (const listener of listeners) listener(resources());
  }

  // ---------- the simulated inbox ----------
  function showCode({ to, code }: { to: string; code: string }) {
    document.querySelector("[data-simulated-email]")?.remove();
    const notice = document.createElement("div");
    notice.dataset.simulatedEmail = "";
    notice.setAttribute("role", "status");
    notice.style.cssText =
      "position:fixed;right:16px;bottom:16px;left:16px;margin-left:auto;max-width:360px;z-index:2147483646;background:#0f172a;color:#f8fafc;border-radius:12px;padding:14px 16px;font:14px/1.45 system-ui;box-shadow:0 12px 32px rgba(15,23,42,.35)";
    const title = document.createElement("p");
    title.style.cssText = "margin:0;font-weight:600";
    title.textContent = "Simulated email (demo mode)";
    const text = document.createElement("p");
    text.style.cssText = "margin:4px 0 0;overflow-wrap:anywhere";
    text.append(`To ${to}: your verification code is `);
    const digits = document.createElement("strong");
    digits.style.cssText = "font-size:16px;letter-spacing:.12em";
    digits.textContent = code;
    text.append(digits);
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Dismiss";
    close.style.cssText =
      "margin-top:8px;background:none;border:0;padding:0;color:#93c5fd;font:600 13px system-ui;cursor:pointer";
    close.addEventListener("click", () => notice.remove());
    notice.append(title, text, close);
    document.body.append(notice);
  }

  // ---------- <OrganizationSwitcher> ----------
  type SwitcherProps = {
    hidePersonal?: boolean;
    afterCreateOrganizationUrl?: string;
    afterSelectOrganizationUrl?: string;
  };
  function renderOrganizationSwitcher(node: HTMLElement, props: SwitcherProps) {
    const root = document.createElement("div");
    root.dataset.testid = "org-switcher";
    root.dataset.hidePersonal = String(props.hidePersonal === true);
    root.dataset.afterCreateOrganizationUrl = props.afterCreateOrganizationUrl ?? "";
    root.dataset.afterSelectOrganizationUrl = props.afterSelectOrganizationUrl ?? "";
    // Like Clerk's: a button naming the active organization that opens a panel to create one.
    root.style.cssText = "position:relative;font-size:14px";
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = `${
      organization
        ? `Organization: ${String(organization.slug ?? organization.id)}`
        : "No organization"
    } ▾`;
    toggle.style.cssText =
      "max-width:14rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;padding:6px 10px;border-radius:8px;border:1px solid #cbd5e1;background:#fff;font:500 14px system-ui;cursor:pointer";
    const form = document.createElement("form");
    form.hidden = true;
    form.style.cssText =
      "position:absolute;right:0;top:calc(100% + 6px);z-index:50;display:grid;gap:8px;width:min(16rem,calc(100vw - 32px));padding:12px;background:#fff;border:1px solid #e2e8f0;border-radius:12px;box-shadow:0 10px 30px rgba(15,23,42,.15)";
    toggle.addEventListener("click", () => {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
    });
    const name = document.createElement("input");
    name.setAttribute("aria-label", "Organization name");
    name.placeholder = "Organization name";
    name.required = true;
    name.style.cssText =
      "min-width:0;padding:6px 10px;border:1px solid #cbd5e1;border-radius:8px;font:14px system-ui";
    const create = document.createElement("button");
    create.type = "submit";
    create.textContent = "Create organization";
    create.style.cssText =
      "padding:6px 10px;border-radius:8px;border:0;background:#2c55db;color:#fff;font:600 14px system-ui;cursor:pointer";
    form.append(name, create);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const created = await fapi("organization.create", {
        sessionId: session?.id,
        name: name.value,
      });
      writeCookie("__session", String(created.token));
      restore();
      emit();
      window.location.assign(props.afterCreateOrganizationUrl ?? "/");
    });
    root.append(toggle, form);
    node.replaceChildren(root);
  }

  async function activate(sessionId: string | null, navigate?: Navigate) {
    await win.__internal_onBeforeSetActive?.();
    const activated = await fapi("session.activate", { sessionId });
    writeCookie("__client_uat", String(activated.clientUat));
    writeCookie("__session", String(activated.token));
    restore();
    emit();
    if (navigate) await navigate({ session, decorateUrl: (url) => url });
    await win.__internal_onAfterSetActive?.();
    return { error: null };
  }

  // ---------- Core 3 signals (useSignUp / useSignIn) ----------
  const effects = new Set<() => void>();
  const changed = () => {
    for (const effect of [...effects]) effect();
  };

  const noFieldErrors = () => ({
    firstName: null,
    lastName: null,
    emailAddress: null,
    phoneNumber: null,
    password: null,
    username: null,
    identifier: null,
    code: null,
    captcha: null,
    legalAccepted: null,
  });
  type Errors = {
    fields: Record<string, FieldError | null>;
    raw: unknown[] | null;
    global: unknown[] | null;
  };
  const noErrors = (): Errors => ({ fields: noFieldErrors(), raw: null, global: null });
  const camel = (name: string) =>
    name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  function parseErrors(error: ClerkAPIResponseError): Errors {
    const errors = noErrors();
    const global: unknown[] = [];
    for (const item of error.errors) {
      const field = item.meta.paramName && camel(item.meta.paramName);
      if (field && field in errors.fields) {
        errors.fields[field] = {
          code: item.code,
          message: item.message,
          longMessage: item.longMessage,
        };
      } else {
        global.push(item);
      }
    }
    errors.raw = error.errors;
    errors.global = global.length ? global : null;
    return errors;
  }

  /** One Frontend API call with the signal's fetchStatus and errors kept as clerk-js keeps them. */
  function flow(name: "signUp" | "signIn") {
    let resource: Json = {};
    let value: Json;
    const publish = (errors: Errors, fetchStatus: "idle" | "fetching") => {
      value = { [name]: future, errors, fetchStatus };
      changed();
    };
    async function call(op: string, payload: Json = {}) {
      publish(value.errors as Errors, "fetching");
      const result = await fapi(`${name}.${op}`, { id: resource.id, ...payload });
      if (result.error) {
        const { status, errors } = result.error as { status: number; errors: ApiErrorJson[] };
        const error = new ClerkAPIResponseError(status, errors);
        publish(parseErrors(error), "idle");
        return { error };
      }
      resource = result.resource as Json;
      if (result.codeSent) showCode(result.codeSent as { to: string; code: string });
      // The code did its work: the simulated email goes away.
      if (op.startsWith("verify")) document.querySelector("[data-simulated-email]")?.remove();
      publish(noErrors(), "idle");
      return { error: null };
    }
    const get = (key: string, fallback: unknown = null) => resource[key] ?? fallback;
    const future: Json =
      name === "signUp"
        ? {
            get id() {
              return get("id", undefined);
            },
            get status() {
              return get("status", "missing_requirements");
            },
            get emailAddress() {
              return get("emailAddress");
            },
            get unsafeMetadata() {
              return get("unsafeMetadata", {});
            },
            get createdSessionId() {
              return get("createdSessionId");
            },
            get createdUserId() {
              return get("createdUserId");
            },
            get missingFields() {
              return get("missingFields", []);
            },
            get unverifiedFields() {
              return get("unverifiedFields", []);
            },
            create: (params: Json) => call("create", { params }),
            verifications: {
              get emailAddress() {
                return { status: get("emailVerification"), strategy: "email_code" };
              },
              sendEmailCode: () => call("sendEmailCode"),
              verifyEmailCode: ({ code }: { code: string }) => call("verifyEmailCode", { code }),
            },
            finalize: ({ navigate }: { navigate?: Navigate } = {}) =>
              activate(get("createdSessionId") as string | null, navigate),
          }
        : {
            get id() {
              return get("id", undefined);
            },
            get status() {
              return get("status", "needs_identifier");
            },
            get identifier() {
              return get("identifier");
            },
            get createdSessionId() {
              return get("createdSessionId");
            },
            create: (params: Json) => call("create", { params }),
            emailCode: {
              sendCode: () => call("sendCode"),
              verifyCode: ({ code }: { code: string }) => call("verifyCode", { code }),
            },
            finalize: ({ navigate }: { navigate?: Navigate } = {}) =>
              activate(get("createdSessionId") as string | null, navigate),
          };
    value = { [name]: future, errors: noErrors(), fetchStatus: "idle" };
    return () => value;
  }

  const signUpSignal = flow("signUp");
  const signInSignal = flow("signIn");
  const waitlist = { waitlist: { id: undefined }, errors: noErrors(), fetchStatus: "idle" };

  const state = {
    signUpSignal,
    signInSignal,
    waitlistSignal: () => waitlist,
    __internal_effect(effect: () => void) {
      effects.add(effect);
      effect();
      return () => void effects.delete(effect);
    },
    __internal_computed<T>(getter: () => T) {
      return () => getter();
    },
  };

  restore();

  let loaded = false;
  win.__internal_ClerkUICtor = class FakeClerkUI {};
  win.Clerk = {
    get loaded() {
      return loaded;
    },
    version: "fake",
    get session() {
      return session;
    },
    get user() {
      return user;
    },
    get client() {
      return client();
    },
    get organization() {
      return organization;
    },
    get isSignedIn() {
      return session !== null;
    },
    __internal_state: state,
    addListener(listener: Listener, options?: { skipInitialEmit?: boolean }) {
      listeners.add(listener);
      if (!options?.skipInitialEmit) listener(resources());
      return () => void listeners.delete(listener);
    },
    async signOut(options?: { redirectUrl?: string }) {
      await win.__internal_onBeforeSetActive?.("sign-out");
      await fapi("signOut", { sessionId: session?.id });
      writeCookie("__session", "", 0);
      writeCookie("__client_uat", "0");
      restore();
      emit();
      window.location.href = options?.redirectUrl ?? "/";
    },
    mountOrganizationSwitcher: renderOrganizationSwitcher,
    // The real one loads the switcher's UI chunk early; nothing to load here.
    __experimental_prefetchOrganizationSwitcher() {},
    unmountOrganizationSwitcher(node: HTMLElement) {
      node.replaceChildren();
    },
    async load() {
      if (document.readyState !== "complete") {
        await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
      }
      // Then once the page is idle: React has hydrated and run its effects, among them
      // ClerkProvider's status listener, which would miss a `loaded` that came before it.
      await new Promise((resolve) => requestIdleCallback(resolve, { timeout: 5000 }));
      // As clerk-js asks the Frontend API for the client: a session it does not know (another
      // instance's, or one it has forgotten) is dropped, as Clerk drops it.
      if (token && !(await fapi("client", { token })).signedIn) {
        writeCookie("__session", "", 0);
        writeCookie("__client_uat", "0");
        restore();
      }
      loaded = true;
    },
  };
})();
