/** The vendors' published specs and webhook samples this package follows (contracts/README.md). */
export { contractPath, readContractJson } from "./openapi";
