/**
 * `/runs/<run_id>/steps/<step_id>`: the step, its attempts and the log of one of them (the
 * latest unless `?attempt=N`; a new attempt is followed as it starts), what runs.db knows
 * about its preconditions, its outputs, its child run (a plan step), its group (an instance)
 * or its instances (a matrix or for_each step, live as a for_each step expands).
 */
import { useEffect, useState } from 'preact/hooks';
import { RequestError, apiPath, getJson } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatDuration, formatTime } from '../format.js';
import { LogView } from '../log/log-view.js';
import { location, navigate, runHref } from '../router.js';
import { RunStore } from '../run/run-store.js';
import { followRun } from '../run/run-stream.js';
import { OutputsTable } from '../components/outputs-table.js';
import { GroupTally } from '../components/group-tally.js';
import { StepRelations } from '../components/step-relations.js';
import { shownStatus, tallyOf } from '../run/groups.js';
import { StepTable } from '../run/step-table.js';
import type { ApiAttempt, ApiStep, StepDetail } from '../types.js';

/** What the recorded events say about the step's preconditions (a passing check leaves no event). */
function preconditionText(step: ApiStep): string {
  if (step.kind === 'matrix' || step.kind === 'for_each') return 'Its instances check them, each for itself.';
  if (step.reason === 'precondition') return `A precondition did not hold, so the step was skipped: ${step.detail ?? ''}`;
  if (step.attempts > 0) return 'Its preconditions, if it has any, held: the step started.';
  if (step.status === 'pending') return 'Not checked yet: preconditions are checked when the step becomes ready.';
  return 'Not checked: the step ended without becoming ready.';
}

function commandLine(a: ApiAttempt): string {
  const args = JSON.parse(a.args_json) as string[];
  return [a.command, ...args].map((s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function AttemptsTable({ attempts, shown, stepHref }: { attempts: ApiAttempt[]; shown: number; stepHref: string }) {
  return (
    <table class="attempts">
      <thead>
        <tr>
          <th>attempt</th>
          <th>status</th>
          <th>exit code / signal</th>
          <th>error</th>
          <th>started</th>
          <th>waited</th>
          <th>duration</th>
          <th>pid</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => (
          <tr key={a.attempt} data-attempt={a.attempt} data-status={a.status} class={a.attempt === shown ? 'selected' : ''}>
            <td>
              <a href={`${stepHref}?attempt=${a.attempt}`}>#{a.attempt}</a>
            </td>
            <td>
              <StatusBadge status={a.status} />
            </td>
            <td>{a.signal ?? a.exit_code ?? '—'}</td>
            <td>{a.error ?? ''}</td>
            <td>{formatTime(a.started_at)}</td>
            <td>{a.ready_at_ms !== null && a.started_at_ms !== null ? formatDuration(a.started_at_ms - a.ready_at_ms) : '—'}</td>
            <td>{formatDuration(a.duration_ms)}</td>
            <td>{a.pid ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StepView({ store, stepId }: { store: RunStore; stepId: string }) {
  const step = store.steps.get(stepId)!.value;
  const attempts = store.attempts.get(stepId)!.value;
  const run = store.run.value;
  const pinned = Number(location.value.query.get('attempt')) || null;
  const shown = pinned ?? attempts.at(-1)?.attempt ?? null;
  const current = attempts.find((a) => a.attempt === shown);
  const stepHref = runHref(run.run_id, stepId);
  const group = step.kind === 'matrix' || step.kind === 'for_each';
  store.shape.value;
  const tally = group ? tallyOf(store, stepId) : null;
  // A matrix step depends on its instances (listed below); what they depend on is its real upstream.
  const dependsOn = group
    ? [...new Set((store.groups.get(stepId) ?? []).flatMap((m) => JSON.parse(store.steps.get(m)!.value.depends_on) as string[]).concat(step.kind === 'for_each' ? (JSON.parse(step.depends_on) as string[]) : []))]
    : (JSON.parse(step.depends_on) as string[]);
  return (
    <div class="step-page">
      <nav class="crumbs">
        <a href="/">runs</a> / <a href={runHref(run.run_id)}>{run.run_id}</a> ({run.plan_id}, <StatusBadge status={run.status} />) / <span class="mono">{stepId}</span>
      </nav>
      <header class="step-header" data-step-id={stepId} data-status={step.status}>
        <h1>
          <StatusBadge status={tally ? shownStatus(step, tally) : step.status} /> {stepId} {step.name !== stepId ? <span class="muted">{step.name}</span> : null}
        </h1>
        <dl class="facts">
          {tally ? <GroupTally step={step} tally={tally} /> : null}
          <StepRelations step={step} groupLink={(group) => ({ 'data-link': 'group', href: runHref(run.run_id, group) })} />
          <dt>depends on</dt>
          <dd>{dependsOn.length === 0 ? '—' : dependsOn.map((d, i) => <>{i > 0 ? ', ' : ''}<a href={runHref(run.run_id, d)}>{d}</a></>)}</dd>
          <dt>attempts</dt>
          <dd>{step.attempts}</dd>
          {step.reason ? (
            <>
              <dt>reason</dt>
              <dd>
                {step.reason}
                {step.upstream ? <> (because of <a href={runHref(run.run_id, step.upstream)}>{step.upstream}</a>)</> : null}
                {step.detail ? `: ${step.detail}` : ''}
              </dd>
            </>
          ) : null}
          <dt>preconditions</dt>
          <dd class="preconditions">{preconditionText(step)}</dd>
          {current ? (
            <>
              <dt>command</dt>
              <dd class="mono">{commandLine(current)}</dd>
              <dt>cwd</dt>
              <dd class="mono">{current.cwd}</dd>
            </>
          ) : null}
        </dl>
      </header>
      <section>
        <h2>Outputs</h2>
        <OutputsTable step={step} outputs={store.outputs.value[stepId]} />
      </section>
      {group ? (
        <section>
          <h2>Instances</h2>
          <StepTable store={store} />
        </section>
      ) : attempts.length > 0 ? (
        <AttemptsTable attempts={attempts} shown={shown ?? 0} stepHref={stepHref} />
      ) : (
        <p class="muted">No attempt has started.</p>
      )}
      {current ? (
        <section>
          <h2>
            Log of attempt {current.attempt}{' '}
            {pinned !== null && attempts.at(-1)!.attempt !== pinned ? (
              <a href={stepHref} onClick={(e) => (e.preventDefault(), navigate(stepHref))}>
                (latest)
              </a>
            ) : null}
          </h2>
          <LogView key={`${stepId}.${current.attempt}`} runId={run.run_id} stepId={stepId} attempt={current.attempt} />
        </section>
      ) : null}
    </div>
  );
}

export function StepPage({ runId, stepId }: { runId: string; stepId: string }) {
  const [store, setStore] = useState<RunStore | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    let stop = (): void => {};
    setStore(null);
    setError(null);
    getJson<StepDetail>(apiPath('runs', runId, 'steps', stepId), abort.signal)
      .then((d) => {
        // A group's page holds its instances too, and takes on the ones a for_each expansion adds.
        const s = new RunStore({ run: d.run, steps: [d.step, ...d.instances], attempts: d.attempts, outputs: { [stepId]: d.outputs } }, (row) => row.instance_of === stepId);
        s.openByDefault.add(stepId);
        stop = followRun(s);
        setStore(s);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(e instanceof RequestError && e.status === 404 ? `No step ${stepId} in run ${runId}.` : String(e));
      });
    return () => {
      abort.abort();
      stop();
    };
  }, [runId, stepId]);
  if (error !== null) return <p class="error">{error}</p>;
  if (store === null) return <p class="muted">loading…</p>;
  return <StepView store={store} stepId={stepId} />;
}
