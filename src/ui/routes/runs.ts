/** The read API: runs (filtered, paged), one run with its steps and attempts, one step, plans. */
import type { RunsPage } from '../api-types.js';
import { queriesOf, type Handler } from '../context.js';
import { HttpError, sendJson } from '../http-util.js';
import { runsQuery } from './params.js';

/** `GET /api/runs?status=&plan=&q=&limit=&before=&top_level=&parent=` → `{runs, next}`. */
export const listRuns: Handler = (ctx, _req, res, _params, url) => {
  const query = runsQuery(url);
  const q = queriesOf(ctx);
  if (q === null) {
    sendJson(res, { runs: [], next: null } satisfies RunsPage);
    return;
  }
  if (query.beforeRunId !== null && q.run(query.beforeRunId) === undefined) {
    throw new HttpError(400, `before names no run: ${JSON.stringify(query.beforeRunId)}`);
  }
  if (query.parentRunId !== null && q.run(query.parentRunId) === undefined) {
    throw new HttpError(400, `parent names no run: ${JSON.stringify(query.parentRunId)}`);
  }
  sendJson(res, q.runsPage(query) satisfies RunsPage);
};

/** `GET /api/runs/<run_id>` → `{run, steps, attempts, outputs, children}`. */
export const getRun: Handler = (ctx, _req, res, [runId]) => {
  const detail = queriesOf(ctx)?.runDetail(runId!);
  if (detail === undefined) throw new HttpError(404, `no run ${runId}`);
  sendJson(res, detail);
};

/** `GET /api/runs/<run_id>/steps/<step_id>` → `{run, step, attempts, outputs, instances}`. */
export const getStep: Handler = (ctx, _req, res, [runId, stepId]) => {
  const detail = queriesOf(ctx)?.stepDetail(runId!, stepId!);
  if (detail === undefined) throw new HttpError(404, `no step ${stepId} in run ${runId}`);
  sendJson(res, detail);
};

/** `GET /api/plans` → `{plans}`. */
export const listPlans: Handler = (ctx, _req, res) => {
  sendJson(res, { plans: queriesOf(ctx)?.plans() ?? [] });
};
