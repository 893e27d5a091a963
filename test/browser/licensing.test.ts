import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { orgs } from "@/lib/db/schema";
import { assignSeat } from "@/lib/licensing";
import { mintSessionToken } from "@/test/support/session";
import { screenshot, visit } from "./support/browser";
import { testPrices, useBrowserSuite } from "./support/suite";

/**
 * /org/licensing in Chromium against `next start`: each state of the page, with screenshots in
 * test-results/screenshots/licensing-*.png. The session cookie carries Clerk's v2 organization
 * claim (`o`), as clerk-js leaves it after `setActive({ organization })`.
 */

// eslint's react-hooks rule flags `use*` calls at module top level (see setupVendors).
const setupBrowserSuite = useBrowserSuite;
const suite = setupBrowserSuite();

/** An organization at the Clerk stand-in with an admin and two members. */
function organization(name = "Acme Corp") {
  const { clerkApi } = suite();
  const org = clerkApi.addOrganization({ name });
  const people = {
    admin: clerkApi.addUser({
      email: `ada-${randomUUID()}@acme.test`,
      first_name: "Ada",
      last_name: "Admin",
    }),
    max: clerkApi.addUser({
      email: `max-${randomUUID()}@acme.test`,
      first_name: "Max",
      last_name: "Member",
    }),
    mia: clerkApi.addUser({
      email: `mia-${randomUUID()}@acme.test`,
      first_name: "Mia",
      last_name: "Member",
    }),
  };
  clerkApi.addMembership({ organizationId: org.id, userId: people.admin.id, role: "org:admin" });
  clerkApi.addMembership({ organizationId: org.id, userId: people.max.id });
  clerkApi.addMembership({ organizationId: org.id, userId: people.mia.id });
  return { org, ...people };
}

/** The org's row as the org.created workflow and a synced subscription leave it. */
async function saveOrg(orgId: string, seats: number | null) {
  const customer = suite().stripeApi.createCustomer({ metadata: { clerk_org_id: orgId } });
  const subscription =
    seats === null
      ? null
      : suite().stripeApi.createSubscription({
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
  return { customer, subscription };
}

async function openAs(
  userId: string,
  org: { id: string; slug: string | null } | null,
  role: "admin" | "member" = "admin",
): Promise<{ page: Page; done: () => Promise<void> }> {
  const { appUrl, clerkApi, browser } = suite();
  const token = mintSessionToken({
    userId,
    expiresIn: 3600,
    claims: {
      azp: new URL(appUrl).origin,
      metadata: { onboardingComplete: true },
      ...(org ? { o: { id: org.id, slg: org.slug, rol: role } } : {}),
    },
  });
  const { context, page } = await visit(browser, { appUrl, clerkApi, token });
  // The fake clerk-js has no UI components: OrganizationSwitcher's mount point gets a label.
  await context.addInitScript(() => {
    const clerk = (window as unknown as { Clerk: Record<string, unknown> }).Clerk;
    clerk.mountOrganizationSwitcher = (node: HTMLElement) => {
      node.textContent = "Organization switcher";
      node.dataset.testid = "org-switcher";
    };
    clerk.unmountOrganizationSwitcher = () => {};
  });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto("/org/licensing");
  /** Ends the visit; the page must not have thrown in the browser. */
  const done = async () => {
    await context.close();
    expect(errors).toEqual([]);
  };
  return { page, done };
}

const seatCount = (page: Page, which: "purchased" | "assigned" | "free") =>
  page.getByTestId(`seats-${which}`).textContent();

describe("/org/licensing", () => {
  it("asks a user without an active organization to choose or create one", async () => {
    const { admin } = organization();
    const { page, done } = await openAs(admin.id, null);
    await expect(
      page.getByRole("heading", { name: "Seats and licences" }).isVisible(),
    ).resolves.toBe(true);
    await page.getByText("Seats belong to an organization").waitFor();
    await page.getByTestId("org-switcher").first().waitFor();
    await screenshot(page, "licensing-no-organization");
    await done();
  });

  it("offers an admin of an org without seats to buy them through Stripe Checkout", async () => {
    const { org, admin } = organization();
    await saveOrg(org.id, null);
    const { page, done } = await openAs(admin.id, org);

    await page.getByRole("form", { name: "Buy seats" }).waitFor();
    expect(await seatCount(page, "purchased")).toBe("0");
    expect(await page.getByLabel("Number of seats").inputValue()).toBe("3");
    await screenshot(page, "licensing-no-seats");

    await page.getByLabel("Number of seats").fill("5");
    const leaving = page.waitForRequest((request) =>
      request.url().startsWith("https://checkout.stripe.com/"),
    );
    await page.getByRole("button", { name: "Buy seats" }).click();
    const checkout = await leaving;

    const [session] = [...suite().stripeApi.checkoutSessions.values()].filter(
      (s) => s.client_reference_id === org.id,
    );
    expect(checkout.url()).toBe(session!.url);
    expect(
      suite().stripeApi.requests.find((r) => r.path === "/v1/checkout/sessions")?.body,
    ).toMatchObject({
      mode: "subscription",
      line_items: [{ quantity: "5", adjustable_quantity: { enabled: "true" } }],
    });
    await done();
  });

  it("lets an admin license members up to the seats bought, and says why the next one is refused", async () => {
    const { org, admin, max, mia } = organization();
    await saveOrg(org.id, 2);
    const { page, done } = await openAs(admin.id, org);

    expect(await seatCount(page, "purchased")).toBe("2");
    expect(await seatCount(page, "free")).toBe("2");
    const toggle = (name: string) => page.getByRole("switch", { name: `Licensed: ${name}` });
    await expect(toggle("Max Member").getAttribute("aria-checked")).resolves.toBe("false");

    await toggle("Ada Admin").click();
    await page.getByRole("switch", { name: "Licensed: Ada Admin", checked: true }).waitFor();
    await toggle("Max Member").click();
    await page.getByRole("switch", { name: "Licensed: Max Member", checked: true }).waitFor();
    await page.getByTestId("seats-free").filter({ hasText: "0" }).waitFor();
    expect(await page.getByTestId("self-licence").textContent()).toContain("You hold a seat");
    expect(suite().clerkApi.memberships.get(`${org.id}:${max.id}`)?.public_metadata).toEqual({
      isLicensed: true,
    });

    await toggle("Mia Member").click();
    await page
      .getByRole("alert")
      .filter({
        hasText: "All 2 purchased seats are assigned. Free a seat or buy more seats first.",
      })
      .waitFor();
    await expect(toggle("Mia Member").getAttribute("aria-checked")).resolves.toBe("false");
    expect(suite().clerkApi.memberships.get(`${org.id}:${mia.id}`)?.public_metadata).toEqual({});
    await screenshot(page, "licensing-seats-full");
    await done();
  });

  it("shows an over-assigned org to its admin, who can still unlicense", async () => {
    const { org, admin, max, mia } = organization();
    await saveOrg(org.id, 3);
    for (const user of [admin, max, mia]) {
      await assignSeat({
        orgId: org.id,
        userId: user.id,
        membershipId: `mem_${user.id}`,
        assignedBy: admin.id,
      });
    }
    // Lowered to 1 seat in the Customer Portal, synced from Stripe.
    const db = await getDb();
    await db.update(orgs).set({ purchasedSeats: 1 }).where(eq(orgs.clerkOrgId, org.id));

    const { page, done } = await openAs(admin.id, org);
    await page
      .getByRole("alert")
      .filter({ hasText: "More seats are assigned than paid for" })
      .waitFor();
    expect(await page.getByRole("alert").first().textContent()).toContain(
      "Unlicense 2 members below",
    );
    expect(await seatCount(page, "assigned")).toBe("3");
    await screenshot(page, "licensing-over-assigned");

    await page.getByRole("switch", { name: "Licensed: Mia Member" }).click();
    await page.getByTestId("seats-assigned").filter({ hasText: "2" }).waitFor();
    await done();
  });

  it("shows a member the seats and their own licence, without any admin control", async () => {
    const { org, admin, max } = organization();
    await saveOrg(org.id, 2);
    await assignSeat({
      orgId: org.id,
      userId: max.id,
      membershipId: `mem_${max.id}`,
      assignedBy: admin.id,
    });
    const { page, done } = await openAs(max.id, org, "member");

    await page.getByText("Only admins of this organization can buy seats").waitFor();
    expect(await page.getByTestId("self-licence").textContent()).toContain("You hold a seat");
    expect(await seatCount(page, "assigned")).toBe("1");
    expect(await page.getByRole("switch").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Manage subscription" }).count()).toBe(0);
    await screenshot(page, "licensing-member");
    await done();
  });
});
