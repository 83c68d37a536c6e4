/** The banner on a failed run's page: its root cause, what that took down, its last log lines. */
import { useEffect, useState } from 'preact/hooks';
import { apiPath, getLogRange } from '../api.js';
import { ansiToHtml } from '../log/ansi.js';
import { runHref } from '../router.js';
import type { RunStore } from './run-store.js';
import { rootCause } from './root-cause.js';

/** The log tail shown: at most this many lines, read from the last 8 KiB. */
const TAIL_LINES = 12;
const TAIL_BYTES = 8192;

function LogTail({ runId, stepId, attempt }: { runId: string; stepId: string; attempt: number }) {
  const [lines, setLines] = useState<string[] | null>(null);
  useEffect(() => {
    getLogRange(apiPath('runs', runId, 'steps', stepId, 'attempts', attempt, 'log'), `bytes=-${TAIL_BYTES}`)
      .then(({ bytes }) => {
        const all = new TextDecoder().decode(bytes).replace(/\n$/, '').split('\n');
        setLines(all.slice(-TAIL_LINES));
      })
      .catch(() => setLines([]));
  }, [runId, stepId, attempt]);
  if (lines === null) return null;
  if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) return <p class="muted">its log is empty</p>;
  return <pre class="log-tail" dangerouslySetInnerHTML={{ __html: ansiToHtml(lines.join('\n')) }} />;
}

/** Failed instances listed by the banner; the group's page lists them all. */
const INSTANCES_LISTED = 10;

function FailedInstances({ store, groupId }: { store: RunStore; groupId: string }) {
  const failed = (store.groups.get(groupId) ?? []).filter((id) => store.steps.get(id)!.value.status === 'failed');
  if (failed.length === 0) return null;
  const runId = store.run.value.run_id;
  return (
    <div class="root-cause-instances">
      Failed instances:{' '}
      {failed.slice(0, INSTANCES_LISTED).map((id, i) => (
        <>
          {i > 0 ? ', ' : ''}
          <a href={runHref(runId, id)}>{id}</a>
        </>
      ))}
      {failed.length > INSTANCES_LISTED ? <> and {failed.length - INSTANCES_LISTED} more (<a href={runHref(runId, groupId)}>all</a>)</> : null}
    </div>
  );
}

export function RootCauseBanner({ store }: { store: RunStore }) {
  store.revision.value;
  const run = store.run.value;
  if (run.status !== 'failed') return null;
  const cause = rootCause(store.allSteps(), (id) => store.attempts.get(id)?.value ?? []);
  if (cause === null) return <div class="root-cause" role="alert">The run failed.</div>;
  const { step, attempt } = cause;
  const how = attempt?.error ?? step.detail ?? step.reason ?? 'failed';
  const list = (ids: string[]) => ids.map((id, i) => <>{i > 0 ? ', ' : ''}<a href={runHref(run.run_id, id)}>{id}</a></>);
  return (
    <div class="root-cause" role="alert" data-step-id={step.step_id} data-status={step.status}>
      <div class="root-cause-head">
        Failed at step <a href={runHref(run.run_id, step.step_id)}>{step.step_id}</a>: <strong class="root-cause-how">{how}</strong>
        {step.attempts > 1 ? <span class="muted"> (after {step.attempts} attempts)</span> : null}
      </div>
      {step.instance_of !== null ? (
        <div>
          An instance of <a href={runHref(run.run_id, step.instance_of)}>{step.instance_of}</a>.
        </div>
      ) : null}
      {store.isGroup(step.step_id) ? <FailedInstances store={store} groupId={step.step_id} /> : null}
      {step.kind === 'plan' && step.child_run_id !== null ? (
        <div class="root-cause-child">
          Its child run <a class="mono" data-link="child-run" href={runHref(step.child_run_id)}>{step.child_run_id}</a> failed: its page shows its own root cause.
        </div>
      ) : null}
      {cause.skipped.length > 0 ? <div>It skipped {cause.skipped.length}: {list(cause.skipped)}</div> : null}
      {cause.cancelled.length > 0 ? <div>It cancelled {cause.cancelled.length}: {list(cause.cancelled)}</div> : null}
      {attempt ? <LogTail runId={run.run_id} stepId={step.step_id} attempt={attempt.attempt} /> : null}
    </div>
  );
}
