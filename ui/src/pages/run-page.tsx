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
import type { RunDetail } from '../types.js';

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
        <a href="/">runs</a> / <span class="mono">{runId}</span>
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
      {selected !== null ? (
        <p class="selection">
          Selected <a href={runHref(runId, selected)}>{selected}</a>: open its attempts and log (or double-click it).
        </p>
      ) : null}
    </div>
  );
}
