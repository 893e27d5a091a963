/** The simulated clerk-js and Stripe.js, as scripts a page loads before the app's own. */
export { simulatedSdks } from "./scripts";
