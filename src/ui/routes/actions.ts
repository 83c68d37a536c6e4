/**
 * The two actions, `POST /api/runs/<run_id>/cancel` and `POST /api/runs/<run_id>/resume`
 * (body `{"vars": {"SECRET": "value"}}` when the run has secret variables). The security checks
 * (src/ui/security.ts) have already required the page's token and a same-origin request.
 */
import { childRunActionNote } from '../action-rules.js';
import type { ActionResult, ResumeRequest } from '../api-types.js';
import { cancelRun } from '../cancel-run.js';
import { queriesOf, type Handler, type UiContext } from '../context.js';
import { HttpError, readJsonBody, sendJson } from '../http-util.js';
import { resumeRun } from '../resume-run.js';

export const cancel: Handler = (ctx, _req, res, [runId]) => {
  sendJson(res, { ok: true, message: cancelRun(ctx.stateDir, runOf(ctx, runId!)) } satisfies ActionResult, 202);
};

export const resume: Handler = async (ctx, req, res, [runId]) => {
  const body: ResumeRequest = { vars: stringMap((await readJsonBody(req)).vars) };
  const message = await resumeRun({
    stateDir: ctx.stateDir,
    run: runOf(ctx, runId!),
    secrets: body.vars ?? {},
    feed: ctx.feed,
    queries: () => queriesOf(ctx),
  });
  sendJson(res, { ok: true, message } satisfies ActionResult, 202);
};

/**
 * The run an action names.
 * @throws HttpError 404 for an unknown run, 409 for a child run (its parent is the one to act on)
 */
function runOf(ctx: UiContext, runId: string) {
  const run = queriesOf(ctx)?.run(runId);
  if (run === undefined) throw new HttpError(404, `no run ${runId}`);
  const note = childRunActionNote(run);
  if (note !== null) throw new HttpError(409, note);
  return run;
}

/**
 * `vars` of the body: an object of strings, or absent.
 * @throws HttpError 400 otherwise
 */
function stringMap(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new HttpError(400, 'vars must be an object of strings');
  }
  return value as Record<string, string>;
}
