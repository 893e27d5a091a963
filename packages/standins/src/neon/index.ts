export { databaseUrl, startNeonHttpServer, type NeonHttpServer } from "./http-server";
