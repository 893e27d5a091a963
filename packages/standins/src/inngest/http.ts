import { guarded, type DriverAccess } from "./access";
import { EventRejected, type InngestDriver } from "./driver";
import { checkpointedRun, registrationOf } from "./protocol";
import { viewOf } from "./run";

const json = (body: unknown, status = 200) => Response.json(body, { status });
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The driver's HTTP API as a fetch handler (server.ts serves it; a test may hand it to msw):
 * `POST /e/:key` (Inngest's event API), `POST /fn/register` (an out-of-band sync),
 * `POST /v1/checkpoint/:runId/async` (the SDK's checkpoints), `GET /runs`, `GET /runs/:id`, and
 * `GET /` (what the driver knows). With `access` (always, when served on a port), every route is
 * behind its checks (access.ts); in process it needs none.
 */
export function driverHandler(driver: InngestDriver, access?: DriverAccess) {
  const handle = routes(driver);
  return access ? guarded(access, handle) : handle;
}

function routes(driver: InngestDriver) {
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && /^\/e\/[^/]+$/.test(pathname)) {
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return json({ error: "The body must be JSON", status: 400 }, 400);
      }
      try {
        return json({ ids: await driver.accept(body), status: 200 });
      } catch (error) {
        const status = error instanceof EventRejected ? 400 : 500;
        return json({ error: message(error), status }, status);
      }
    }
    const checkpointed = checkpointedRun(pathname);
    if (request.method === "POST" && checkpointed) {
      const body: unknown = await request.json().catch(() => null);
      const answer = await driver.receiveCheckpoint(checkpointed, body);
      return json(answer.body, answer.status);
    }
    if (request.method === "POST" && pathname === "/fn/register") {
      try {
        driver.register(registrationOf(await request.json()));
        return json({ status: 200, skipped: false, modified: true });
      } catch (error) {
        return json({ status: 400, error: message(error) }, 400);
      }
    }
    if (request.method === "GET" && pathname === "/runs") {
      return json({ runs: driver.runs.map((run) => viewOf(run, driver.history)) });
    }
    const runId = /^\/runs\/([^/]+)$/.exec(pathname)?.[1];
    if (request.method === "GET" && runId) {
      const run = driver.runs.find((candidate) => candidate.id === runId);
      return run ? json(viewOf(run, driver.history)) : json({ error: `No run ${runId}` }, 404);
    }
    if (request.method === "GET" && pathname === "/") {
      return json({
        name: "Inngest driver",
        serveUrl: driver.serveUrl,
        functions: driver.functionIds(),
        runs: driver.runs.length,
      });
    }
    return json({ error: `${request.method} ${pathname} is not part of the driver` }, 404);
  };
}
