import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { orgs } from "@/lib/db/schema";
import { assignSeat } from "@/lib/orgs/seats";
import { screenshot, visit, type Visit } from "./support/browser";
import { testPrices, type BrowserSuite } from "./support/suite";

/**
 * /org/licensing and the way in from the dashboard, in Chromium against `next start`. The
 * session cookie carries Clerk's v2 organization claim (`o`), as clerk-js leaves it once an
 * organization is active. Screenshots: test-results/screenshots/licensing-*.png.
 */
export function licensingTests(suite: () => BrowserSuite) {
  /** An organization at the Clerk stand-in with an admin and two members. */
  function organization() {
    const { clerkApi, addUser } = suite();
    const org = clerkApi.addOrganization({ name: "Acme Corp", slug: `acme-${Date.now()}` });
    const onboarded = { public_metadata: { onboardingComplete: true } };
    const people = { admin: addUser(onboarded), max: addUser(onboarded), mia: addUser(onboarded) };
    const named = [
      [people.admin, "Ada", "Admin", "org:admin"],
      [people.max, "Max", "Member", "org:member"],
      [people.mia, "Mia", "Member", "org:member"],
    ] as const;
    for (const [person, first_name, last_name, role] of named) {
      Object.assign(clerkApi.users.get(person.id)!, { first_name, last_name });
      clerkApi.addMembership({ organizationId: org.id, userId: person.id, role });
    }
    return { org, ...people };
  }

  /** The org's row as the org.created workflow and a synced subscription leave it. */
  async function saveOrg(orgId: string, seats: number | null) {
    const { stripeApi } = suite();
    const customer = stripeApi.createCustomer({ metadata: { clerk_org_id: orgId } });
    const subscription =
      seats === null
        ? null
        : stripeApi.createSubscription({
            customer: customer.id,
            price: testPrices.enterprise,
            quantity: seats,
          });
    await (await getDb()).insert(orgs).values({
      clerkOrgId: orgId,
      name: "Acme Corp",
      stripeCustomerId: customer.id,
      stripeSubscriptionId: subscription?.id ?? null,
      subscriptionStatus: subscription?.status ?? null,
      purchasedSeats: seats ?? 0,
    });
    return customer;
  }

  /** A seat held as the license switch leaves it: in the database and in Clerk's membership. */
  async function holdSeat(orgId: string, userId: string, assignedBy: string) {
    const membership = suite().clerkApi.memberships.get(`${orgId}:${userId}`)!;
    await assignSeat({ orgId, userId, membershipId: membership.id, assignedBy });
    membership.public_metadata = { isLicensed: true };
  }

  /** Opens `path` signed in as the user, in the org with the role given (or in none). */
  async function openAs(
    userId: string,
    org: { id: string; slug: string | null } | null,
    role: "admin" | "member" = "admin",
    path = "/org/licensing",
  ): Promise<Visit & { done: () => Promise<void> }> {
    const { appUrl, clerkApi, browser, tokenFor } = suite();
    const token = tokenFor(userId, org ? { o: { id: org.id, slg: org.slug, rol: role } } : {});
    const visited = await visit(browser, { appUrl, clerkApi, token });
    const errors: string[] = [];
    visited.page.on("pageerror", (error) => errors.push(error.message));
    await visited.page.goto(path);
    /** Ends the visit; the page must not have thrown in the browser. */
    const done = async () => {
      await visited.context.close();
      expect(errors).toEqual([]);
    };
    return { ...visited, done };
  }

  const seatCount = (page: Page, which: "purchased" | "assigned" | "free") =>
    page.getByTestId(`seats-${which}`).textContent();
  const toggle = (page: Page, name: string) =>
    page.getByRole("switch", { name: `Licensed: ${name}` });

  describe("organization seats (/org/licensing)", () => {
    it("leads from the dashboard to a new organization's seats, and buys them on the org's one Stripe customer", async () => {
      const { addUser, stripeApi, clerkApi } = suite();
      const founder = addUser({ public_metadata: { onboardingComplete: true, tier: "pro" } });
      const { page, done } = await openAs(founder.id, null, "admin", "/dashboard");

      // The switcher is Clerk's <OrganizationSwitcher>, set to land new and chosen orgs here.
      const switcher = page.getByTestId("org-switcher");
      await switcher.waitFor();
      expect(await switcher.getAttribute("data-hide-personal")).toBe("true");
      expect(await switcher.getAttribute("data-after-create-organization-url")).toBe(
        "/org/licensing",
      );
      expect(await switcher.getAttribute("data-after-select-organization-url")).toBe(
        "/org/licensing",
      );
      expect(
        await page.getByRole("link", { name: "Seats and licenses" }).getAttribute("href"),
      ).toBe("/org/licensing");
      await screenshot(page, "dashboard-with-organization-switcher");

      // Create an organization: Clerk makes it active and sends the browser here. Its
      // organization.created webhook has not landed, so the org has no row and no customer yet.
      await page.getByTestId("org-switcher").getByRole("button", { expanded: false }).click();
      await page.getByLabel("Organization name").fill("Globex");
      await page.getByRole("button", { name: "Create organization" }).click();
      await page.waitForURL("**/org/licensing");
      await page.getByRole("form", { name: "Buy seats" }).waitFor();
      const org = [...clerkApi.organizations.values()].find((o) => o.created_by === founder.id)!;
      expect(await seatCount(page, "purchased")).toBe("0");
      expect(await page.getByLabel("Number of seats").inputValue()).toBe("1");
      await screenshot(page, "licensing-no-seats");

      await page.getByLabel("Number of seats").fill("5");
      const leaving = page.waitForRequest((r) =>
        r.url().startsWith("https://checkout.stripe.com/"),
      );
      await page.getByRole("button", { name: "Buy seats" }).click();
      const checkout = await leaving;

      const customers = [...stripeApi.customers.values()].filter(
        (c) => c.metadata.clerk_org_id === org.id,
      );
      expect(customers).toHaveLength(1);
      const [session] = [...stripeApi.checkoutSessions.values()].filter(
        (s) => s.client_reference_id === org.id,
      );
      expect(checkout.url()).toBe(session!.url);
      expect(session).toMatchObject({ customer: customers[0]!.id, mode: "subscription" });
      const sent = stripeApi.requests.find(
        (r) => r.path === "/v1/checkout/sessions" && r.body.client_reference_id === org.id,
      );
      expect(sent?.body).toMatchObject({
        line_items: [
          { price: testPrices.enterprise, quantity: "5", adjustable_quantity: { enabled: "true" } },
        ],
      });
      // The same idempotency key as the org.created workflow: its late run reuses this customer.
      const customerKeys = stripeApi.requests
        .filter((r) => r.path === "/v1/customers" && r.method === "POST")
        .map((r) => r.idempotencyKey)
        .filter((key) => key?.endsWith(org.id));
      expect(customerKeys).toEqual([`org-customer-${org.id}`]);
      await done();
    });

    it("asks a user without an active organization to choose or create one", async () => {
      const { admin } = organization();
      const { page, done } = await openAs(admin.id, null);
      await page.getByText("Seats belong to an organization").waitFor();
      // Clerk's components mount once clerk-js has loaded, after the page's own content.
      await page.getByTestId("org-switcher").waitFor();
      expect(await page.getByTestId("org-switcher").count()).toBe(1);
      expect(await page.getByTestId("seats-purchased").count()).toBe(0);
      await screenshot(page, "licensing-no-organization");
      await done();
    });

    it("lets an admin license members up to the seats bought, and says why the next one is refused", async () => {
      const { clerkApi } = suite();
      const { org, admin, max, mia } = organization();
      await saveOrg(org.id, 2);
      const { page, done } = await openAs(admin.id, org);

      expect(await seatCount(page, "purchased")).toBe("2");
      expect(await seatCount(page, "free")).toBe("2");
      expect(await toggle(page, "Max Member").getAttribute("aria-checked")).toBe("false");

      await toggle(page, "Ada Admin").click();
      await page.getByRole("switch", { name: "Licensed: Ada Admin", checked: true }).waitFor();
      await toggle(page, "Max Member").click();
      await page.getByRole("switch", { name: "Licensed: Max Member", checked: true }).waitFor();
      await page.getByTestId("seats-free").filter({ hasText: "0" }).waitFor();
      expect(await page.getByTestId("self-license").textContent()).toContain("You hold a seat");
      expect(clerkApi.memberships.get(`${org.id}:${max.id}`)?.public_metadata).toEqual({
        isLicensed: true,
      });

      await toggle(page, "Mia Member").click();
      await page
        .getByRole("alert")
        .filter({ hasText: "All 2 purchased seats are assigned" })
        .waitFor();
      expect(await toggle(page, "Mia Member").getAttribute("aria-checked")).toBe("false");
      expect(clerkApi.memberships.get(`${org.id}:${mia.id}`)?.public_metadata).toEqual({});
      expect(await seatCount(page, "assigned")).toBe("2");
      await screenshot(page, "licensing-seats-full");

      // Seats are changed on Stripe's Customer Portal, on the org's own customer.
      await page.getByRole("button", { name: "Manage subscription" }).click();
      await page.waitForURL(/^https:\/\/billing\.stripe\.com\/p\/session\//);
      await done();
    });

    it("shows an over-assigned org (seats lowered in the Portal) to its admin, who resolves it by unlicensing", async () => {
      const { org, admin, max, mia } = organization();
      await saveOrg(org.id, 3);
      for (const user of [admin, max, mia]) await holdSeat(org.id, user.id, admin.id);
      // Lowered to 1 seat in the Customer Portal, as the subscription sync records it.
      await (
        await getDb()
      )
        .update(orgs)
        .set({ purchasedSeats: 1 })
        .where(eq(orgs.clerkOrgId, org.id));

      const { page, done } = await openAs(admin.id, org);
      const warning = page
        .getByRole("alert")
        .filter({ hasText: "More seats are assigned than paid for" });
      await warning.waitFor();
      expect(await warning.textContent()).toContain("Nobody has lost their license");
      expect(await warning.textContent()).toContain("Unlicense 2 members below");
      expect(await seatCount(page, "assigned")).toBe("3");
      expect(await seatCount(page, "free")).toBe("0");
      await screenshot(page, "licensing-over-assigned");

      await toggle(page, "Mia Member").click();
      await page.getByTestId("seats-assigned").filter({ hasText: "2" }).waitFor();
      await toggle(page, "Max Member").click();
      await page.getByTestId("seats-assigned").filter({ hasText: "1" }).waitFor();
      expect(await warning.count()).toBe(0);
      expect(suite().clerkApi.memberships.get(`${org.id}:${mia.id}`)?.public_metadata).toEqual({
        isLicensed: false,
      });
      expect(await page.getByText("Not synced to Clerk").count()).toBe(0);
      await done();
    });

    it("shows a member the seats and their own license, without any admin control", async () => {
      const { org, admin, max } = organization();
      await saveOrg(org.id, 2);
      await holdSeat(org.id, max.id, admin.id);
      const { page, done } = await openAs(max.id, org, "member");

      await page.getByText("Only admins of this organization can buy seats").waitFor();
      expect(await page.getByTestId("self-license").textContent()).toContain("You hold a seat");
      expect(await seatCount(page, "assigned")).toBe("1");
      expect(await page.getByRole("switch").count()).toBe(0);
      expect(await page.getByRole("button", { name: "Manage subscription" }).count()).toBe(0);
      expect(await page.getByRole("form", { name: "Buy seats" }).count()).toBe(0);
      await screenshot(page, "licensing-member");
      await done();
    });
  });
}
