import { billingTests } from "./billing";
import { dashboardTests } from "./dashboard";
import { gateTests } from "./gate";
import { journeyTests } from "./journey";
import { licensingTests } from "./licensing";
import { pageTests } from "./pages";
import { progressTests } from "./progress";
import { signUpTests } from "./sign-up";
import { setupBrowserSuite } from "./support/suite";

// The whole browser suite in one file, so it shares one `next start` and one Chromium; each area
// lives in its own module. Screenshots go to test-results/screenshots.
const suite = setupBrowserSuite();

pageTests(suite);
signUpTests(suite);
progressTests(suite);
gateTests(suite);
dashboardTests(suite);
billingTests(suite);
licensingTests(suite);
journeyTests(suite);
