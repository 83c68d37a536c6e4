/**
 * `/runs/<run_id>`: the run's header, its root cause when it failed, and three views of its
 * steps (graph, table, timeline) that share one selection (kept in the URL as `?step=`).
 */
import { useEffect, useState } from 'preact/hooks';
import { RequestError, apiPath, getJson } from '../api.js';
import { ProgressBar } from '../components/progress-bar.js';
import { StatusBadge } from '../components/status-badge.js';
import { elapsedMs, formatDuration, formatTime } from '../format.js';
import { location, navigate, runHref } from '../router.js';
import { Dag } from '../run/dag.js';
import { RootCauseBanner } from '../run/root-cause-banner.js';
import { RunActions } from '../run/run-actions.js';
import { RunStore } from '../run/run-store.js';
import { followRun } from '../run/run-stream.js';
import { StepTable } from '../run/step-table.js';
import { Timeline } from '../run/timeline.js';
import { nowMs, tickWhile } from '../status.js';
import type { RunDetail, RunStatus } from '../types.js';
import { OutputsTable } from '../components/outputs-table.js';
import { GroupTally } from '../components/group-tally.js';
import { StepRelations } from '../components/step-relations.js';
import { shownStatus, tallyOf } from '../run/groups.js';

/** How many child runs the header lists; the runs page (`/?parent=RUN`) lists them all. */
const CHILDREN_SHOWN = 10;

/** Statuses a plan step shares with its child run while that run is its latest. */
const RUN_LIKE: ReadonlySet<string> = new Set(['running', 'succeeded', 'failed', 'cancelled', 'interrupted']);

/** The child runs of the run's plan steps, each with its status (live: its step's, which is the child run's outcome). */
function ChildRuns({ store }: { store: RunStore }) {
  const run = store.run.value;
  const children = store.children.value;
  if (children.length === 0) return null;
  return (
    <>
      <dt>child runs</dt>
      <dd class="child-runs">
        {children.slice(0, CHILDREN_SHOWN).map((c) => {
          const step = c.step_id === null ? undefined : store.steps.get(c.step_id)?.value;
          const status = (step && step.child_run_id === c.run_id && RUN_LIKE.has(step.status) ? step.status : c.status) as RunStatus;
          return (
            <span key={c.run_id} class="child-run" data-child-run-id={c.run_id} data-status={status}>
              <StatusBadge status={status} />{' '}
              <a class="mono" href={runHref(c.run_id)}>
                {c.run_id}
              </a>
              {c.step_id !== null ? (
                <span class="muted">
                  {' '}
                  of step <a href={runHref(run.run_id, c.step_id)}>{c.step_id}</a>
                </span>
              ) : null}
            </span>
          );
        })}
        {children.length > CHILDREN_SHOWN ? <a href={`/?parent=${encodeURIComponent(run.run_id)}`}>all {children.length} child runs →</a> : null}
      </dd>
    </>
  );
}

function RunHeader({ store }: { store: RunStore }) {
  const run = store.run.value;
  const running = run.status === 'running';
  useEffect(() => tickWhile(running), [running]);
  const vars = Object.entries(JSON.parse(run.vars_json) as Record<string, string>);
  return (
    <header class="run-header" data-run-id={run.run_id} data-status={run.status}>
      <h1>
        <StatusBadge status={run.status} /> {run.plan_id} <span class="muted">version {run.plan_version}</span>
      </h1>
      <dl class="facts">
        <dt>run</dt>
        <dd class="mono">{run.run_id}</dd>
        {run.parent_run_id !== null ? (
          <>
            <dt>parent run</dt>
            <dd class="parent-run">
              <a class="mono" data-link="parent-run" href={`${runHref(run.parent_run_id)}${run.parent_step_id ? `?step=${encodeURIComponent(run.parent_step_id)}` : ''}`}>
                {run.parent_run_id}
              </a>
              {run.parent_step_id !== null ? (
                <>
                  , step{' '}
                  <a data-link="parent-step" href={runHref(run.parent_run_id, run.parent_step_id)}>
                    {run.parent_step_id}
                  </a>
                </>
              ) : null}
            </dd>
          </>
        ) : null}
        <ChildRuns store={store} />
        <dt>started</dt>
        <dd>{formatTime(run.started_at)}</dd>
        <dt>duration</dt>
        <dd>{formatDuration(elapsedMs(run.started_at, run.duration_ms, running, running ? nowMs.value : 0))}</dd>
        <dt>progress</dt>
        <dd>
          <ProgressBar run={run} />
        </dd>
        {vars.length > 0 ? (
          <>
            <dt>variables</dt>
            <dd class="vars">
              {vars.map(([k, v]) => (
                <span key={k} class="var">
                  <span class="mono">{k}</span>=<span class="mono">{v}</span>
                </span>
              ))}
            </dd>
          </>
        ) : null}
      </dl>
      {run.engine_gone ? <p class="warning">Its engine (pid {run.pid} on {run.hostname}) is gone: the run will not finish by itself. Resume continues it.</p> : null}
      {run.cancel_requested_at && running ? <p class="warning">Cancelling since {formatTime(run.cancel_requested_at)}…</p> : null}
      <RunActions run={run} />
    </header>
  );
}

/** The selected step: what it is, its group's counts or its child run, its outputs. */
function StepPanel({ store, stepId }: { store: RunStore; stepId: string }) {
  const step = store.steps.get(stepId)!.value;
  const outputs = store.outputs.value[stepId];
  const group = store.isGroup(stepId);
  store.shape.value;
  const tally = group ? tallyOf(store, stepId) : null;
  const runId = step.run_id;
  return (
    <section class="step-panel" data-step-id={stepId} data-status={step.status}>
      <h2>
        <StatusBadge status={tally ? shownStatus(step, tally) : step.status} /> <span class="mono">{stepId}</span>{' '}
        <a href={runHref(runId, stepId)} class="open-step">
          open its page{group ? '' : ' (attempts and log)'} →
        </a>
      </h2>
      <dl class="facts">
        {tally ? <GroupTally step={step} tally={tally} /> : null}
        <StepRelations
          step={step}
          groupLink={(group) => ({ href: `${runHref(runId)}?step=${encodeURIComponent(group)}`, onClick: (e) => (e.preventDefault(), (store.selected.value = group)) })}
        />
        {step.detail ? (
          <>
            <dt>detail</dt>
            <dd>{step.detail}</dd>
          </>
        ) : null}
      </dl>
      <h3>Outputs</h3>
      <OutputsTable step={step} outputs={outputs} />
    </section>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const [store, setStore] = useState<RunStore | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    let stop = (): void => {};
    setStore(null);
    setError(null);
    getJson<RunDetail>(apiPath('runs', runId), abort.signal)
      .then((detail) => {
        const s = new RunStore(detail);
        s.selected.value = location.value.query.get('step');
        stop = followRun(s);
        setStore(s);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(e instanceof RequestError && e.status === 404 ? `No run ${runId} in this state directory.` : String(e));
      });
    return () => {
      abort.abort();
      stop();
    };
  }, [runId]);
  // The selection is part of the address, without a history entry per click.
  const selected = store?.selected.value ?? null;
  useEffect(() => {
    if (store === null) return;
    const q = new URLSearchParams(window.location.search);
    if ((q.get('step') ?? null) === selected) return;
    if (selected === null) q.delete('step');
    else q.set('step', selected);
    navigate(`${runHref(runId)}${q.size > 0 ? `?${q}` : ''}`, true);
  }, [selected]);
  if (error !== null) return <p class="error">{error}</p>;
  if (store === null) return <p class="muted">loading…</p>;
  return (
    <div class="run-page">
      <nav class="crumbs">
        <a href="/">runs</a> /{' '}
        {store.run.value.parent_run_id !== null ? (
          <>
            <a class="mono" href={runHref(store.run.value.parent_run_id)}>
              {store.run.value.parent_run_id}
            </a>{' '}
            / {store.run.value.parent_step_id ?? '?'} /{' '}
          </>
        ) : null}
        <span class="mono">{runId}</span>
      </nav>
      <RunHeader store={store} />
      <RootCauseBanner store={store} />
      <section>
        <h2>Graph</h2>
        <Dag store={store} />
      </section>
      <div class="two-views">
        <section>
          <h2>Steps</h2>
          <StepTable store={store} />
        </section>
        <section>
          <h2>Timeline</h2>
          <Timeline store={store} />
        </section>
      </div>
      {selected !== null && store.steps.has(selected) ? <StepPanel store={store} stepId={selected} /> : null}
    </div>
  );
}
