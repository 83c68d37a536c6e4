/**
 * `/`: the runs, newest first, with filters (status, plan, text) and keyset pages, all in the
 * address (`?status=&plan=&q=&before=`). Live: `/api/updates` sends the row of every run that
 * changed; a row on the page is replaced, a new run matching the filters appears on the first page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath, getJson, withToken } from '../api.js';
import { ProgressBar } from '../components/progress-bar.js';
import { StatusBadge } from '../components/status-badge.js';
import { elapsedMs, formatDuration, formatTime } from '../format.js';
import { location, navigate, runHref } from '../router.js';
import { nowMs, RUN_STATUSES, tickWhile } from '../status.js';
import type { ApiPlan, ApiRun, RunsPage as RunsPageData } from '../types.js';

const PAGE_SIZE = 50;

function matches(run: ApiRun, q: URLSearchParams): boolean {
  const status = q.get('status');
  const plan = q.get('plan');
  const text = q.get('q');
  return (!status || run.status === status) && (!plan || run.plan_id === plan) && (!text || run.run_id.includes(text) || run.plan_id.includes(text));
}

function withParam(q: URLSearchParams, name: string, value: string | null): string {
  const next = new URLSearchParams(q);
  if (value) next.set(name, value);
  else next.delete(name);
  if (name !== 'before') next.delete('before');
  return next.size > 0 ? `/?${next}` : '/';
}

function RunRow({ run }: { run: ApiRun }) {
  const running = run.status === 'running';
  return (
    <tr data-run-id={run.run_id} data-status={run.status}>
      <td>
        <StatusBadge status={run.status} />
        {run.engine_gone ? <span class="warning" title="its engine is gone"> !</span> : null}
      </td>
      <td class="mono">
        <a href={runHref(run.run_id)}>{run.run_id}</a>
      </td>
      <td>
        <a href={withParam(new URLSearchParams(), 'plan', run.plan_id)}>{run.plan_id}</a> <span class="muted">{run.plan_version}</span>
      </td>
      <td>{formatTime(run.started_at)}</td>
      <td>{formatDuration(elapsedMs(run.started_at, run.duration_ms, running, running ? nowMs.value : 0))}</td>
      <td>
        <ProgressBar run={run} />
      </td>
    </tr>
  );
}

export function RunsPage() {
  const query = location.value.query;
  const key = query.toString();
  const [page, setPage] = useState<RunsPageData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [plans, setPlans] = useState<ApiPlan[]>([]);
  const textInput = useRef<HTMLInputElement>(null);
  const anyRunning = page?.runs.some((r) => r.status === 'running') ?? false;
  useEffect(() => tickWhile(anyRunning), [anyRunning]);

  useEffect(() => {
    const abort = new AbortController();
    const params = new URLSearchParams(query);
    params.set('limit', String(PAGE_SIZE));
    getJson<RunsPageData>(`${apiPath('runs')}?${params}`, abort.signal)
      .then((p) => {
        setPage(p);
        setError(null);
        // Only for the plan filter: asked once the rows are there, so it never delays them.
        return getJson<{ plans: ApiPlan[] }>(apiPath('plans'), abort.signal).then((ps) => setPlans(ps.plans));
      })
      .catch((e: unknown) => !abort.signal.aborted && setError(String(e)));
    return () => abort.abort();
  }, [key]);

  useEffect(() => {
    const source = new EventSource(withToken(apiPath('updates')));
    const firstPage = !query.get('before');
    source.onmessage = (m) => {
      const run = JSON.parse(m.data as string) as ApiRun;
      setPlans((ps) => (ps.some((p) => p.plan_id === run.plan_id) ? ps : [...ps, { plan_id: run.plan_id, plan_version: run.plan_version, runs: 1, last_run_id: run.run_id, last_started_at: run.started_at, last_status: run.status }]));
      setPage((p) => {
        if (p === null) return p;
        if (p.runs.some((r) => r.run_id === run.run_id)) return { ...p, runs: p.runs.map((r) => (r.run_id === run.run_id ? run : r)) };
        if (!firstPage || !matches(run, query)) return p;
        return { ...p, runs: [run, ...p.runs].sort((a, b) => (a.started_at < b.started_at ? 1 : -1)) };
      });
    };
    return () => source.close();
  }, [key]);

  return (
    <div class="runs-page">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withParam(query, 'q', textInput.current?.value.trim() || null));
        }}
      >
        <label>
          status{' '}
          <select name="status" value={query.get('status') ?? ''} onChange={(e) => navigate(withParam(query, 'status', e.currentTarget.value || null))}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          plan{' '}
          <select name="plan" value={query.get('plan') ?? ''} onChange={(e) => navigate(withParam(query, 'plan', e.currentTarget.value || null))}>
            <option value="">any</option>
            {plans.map((p) => (
              <option key={p.plan_id} value={p.plan_id}>
                {p.plan_id}
              </option>
            ))}
            {query.get('plan') && !plans.some((p) => p.plan_id === query.get('plan')) ? <option value={query.get('plan')!}>{query.get('plan')}</option> : null}
          </select>
        </label>
        <input ref={textInput} name="q" type="search" placeholder="run id or plan" defaultValue={query.get('q') ?? ''} key={query.get('q') ?? ''} />
        <button type="submit">Search</button>
        {key !== '' ? <a href="/">clear</a> : null}
      </form>
      {error !== null ? <p class="error">{error}</p> : null}
      {page === null ? (
        <p class="muted">loading…</p>
      ) : page.runs.length === 0 ? (
        <p class="empty muted">{key === '' ? 'No runs yet in this state directory. Runs appear here as soon as they start (engine run PLAN).' : 'No runs match.'}</p>
      ) : (
        <table class="runs">
          <thead>
            <tr>
              <th>status</th>
              <th>run</th>
              <th>plan</th>
              <th>started</th>
              <th>duration</th>
              <th>progress</th>
            </tr>
          </thead>
          <tbody>
            {page.runs.map((r) => (
              <RunRow key={r.run_id} run={r} />
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager">
        {query.get('before') ? <a href={withParam(query, 'before', null)}>newest</a> : null}
        {page?.next ? (
          <a href={withParam(query, 'before', page.next)} data-page="older">
            older runs →
          </a>
        ) : null}
      </nav>
    </div>
  );
}
