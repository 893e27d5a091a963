export { ResendStandIn, type DeliveredEmail } from "./api";
