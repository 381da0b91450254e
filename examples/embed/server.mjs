// Embed Rivet in an app: a small HTTP service that runs a project's plans and streams their events.
//
//   node examples/embed/server.mjs                     # serves the project in the current directory
//   curl -N -X POST localhost:8080/plans/example::deploy/run -d '{"version": "1.3.0"}'
//
// Each response is NDJSON: Rivet's live events (plan_start, step_start, target_finish, message,
// ...), then one {"type": "plan_result"} line with the plan's return value or its error. A client
// that disconnects cancels the plan: remote processes are killed and temp dirs removed.
// Environment: PORT (default 8080; 0 picks a free port), HOST (default 127.0.0.1), RIVET_PROJECT
// (the project directory, default the current directory). Plain Node: no TypeScript loader is
// needed for this file; Rivet loads tsx by itself when a plan is a .ts file.
import { createServer } from 'node:http';
import { isRivetError } from 'rivetops/core';
import { createRuntime, planResultData, runPlan } from 'rivetops/runtime';

const MAX_BODY = 1024 * 1024;
const project = process.env.RIVET_PROJECT ?? process.cwd();

/** The request body as a JSON object of plan parameters (at most 1 MiB). */
async function readParams(request) {
  let text = '';
  for await (const chunk of request) {
    text += chunk;
    if (text.length > MAX_BODY) throw new Error(`the body is larger than ${MAX_BODY} bytes`);
  }
  const params = text.trim() === '' ? {} : JSON.parse(text);
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new Error('the body must be a JSON object of plan parameters');
  return params;
}

async function handle(request, response) {
  const plan = /^\/plans\/([a-z][a-z0-9_]*(?:::[a-z][a-z0-9_]*)*)\/run$/.exec(new URL(request.url, 'http://localhost').pathname)?.[1];
  if (request.method !== 'POST' || plan === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('POST /plans/<plan name>/run with a JSON object of parameters\n');
    return;
  }
  let params;
  try {
    params = await readParams(request);
  } catch (error) {
    response.writeHead(400, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
    return;
  }
  const cancel = new AbortController();
  response.on('close', () => response.writableFinished || cancel.abort());
  const runtime = await createRuntime({ cwd: project, signal: cancel.signal });
  const send = (line) => response.write(`${JSON.stringify(line)}\n`);
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  runtime.events.on(send);
  try {
    const value = await runPlan(plan, params, { runtime });
    send({ type: 'plan_result', plan, status: 'success', value: planResultData(value) });
  } catch (error) {
    send({ type: 'plan_result', plan, status: 'failure', error: isRivetError(error) ? error.toJSON() : { kind: 'error', msg: String(error) } });
  } finally {
    await runtime.close();
    response.end();
  }
}

const server = createServer((request, response) => {
  handle(request, response).catch((error) => {
    // A project or inventory that does not load: nothing was run.
    if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
    response.end(`${isRivetError(error) ? error.message : String(error)}\n`);
  });
});
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`Rivet plans of ${project} on http://${address}:${port}/plans/<name>/run`);
});
