/**
 * `/`: the runs, newest first, with filters (status, plan, text) and keyset pages, all in the
 * address (`?status=&plan=&q=&before=`). Child runs of plan steps do not flood the list: by
 * default it shows top-level runs only, each with a toggle that lists its child runs under it
 * (nested, to any depth); `?children=1` (or a plan filter or a search, which may be after a
 * child run) lists every run, child runs marked with their parent; `?parent=RUN` lists the
 * child runs of one run. Live: `/api/updates` sends the row of every run that changed (a child
 * run's parent row too, with its new count); a row on the page is replaced, a new run matching
 * the filters appears on the first page, a new child run under its open parent.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath, getJson, withToken } from '../api.js';
import { ProgressBar } from '../components/progress-bar.js';
import { StatusBadge } from '../components/status-badge.js';
import { elapsedMs, formatDuration, formatTime } from '../format.js';
import { location, navigate, runHref } from '../router.js';
import { nowMs, RUN_STATUSES, tickWhile } from '../status.js';
import type { ApiPlan, ApiRun, RunsPage as RunsPageData } from '../types.js';

const PAGE_SIZE = 50;
/** Child runs listed under an open parent; the rest are on `/?parent=RUN`. */
const NESTED_SIZE = 20;

/** Which runs the list shows. */
type Mode = { kind: 'top' } | { kind: 'all' } | { kind: 'children'; parent: string };

function modeOf(q: URLSearchParams): Mode {
  const parent = q.get('parent');
  if (parent) return { kind: 'children', parent };
  // A plan filter or a search may be after a child run: those list every run.
  if (q.get('children') === '1' || q.get('plan') || q.get('q')) return { kind: 'all' };
  return { kind: 'top' };
}

function matches(run: ApiRun, q: URLSearchParams): boolean {
  const status = q.get('status');
  const plan = q.get('plan');
  const text = q.get('q');
  const mode = modeOf(q);
  if (mode.kind === 'top' && run.parent_run_id !== null) return false;
  if (mode.kind === 'children' && run.parent_run_id !== mode.parent) return false;
  return (!status || run.status === status) && (!plan || run.plan_id === plan) && (!text || run.run_id.includes(text) || run.plan_id.includes(text));
}

function withParam(q: URLSearchParams, name: string, value: string | null): string {
  const next = new URLSearchParams(q);
  if (value) next.set(name, value);
  else next.delete(name);
  if (name !== 'before') next.delete('before');
  return next.size > 0 ? `/?${next}` : '/';
}

/** The API query of a page address. */
function apiQuery(q: URLSearchParams): string {
  const params = new URLSearchParams();
  for (const name of ['status', 'plan', 'q', 'before']) {
    const v = q.get(name);
    if (v) params.set(name, v);
  }
  const mode = modeOf(q);
  if (mode.kind === 'top') params.set('top_level', '1');
  if (mode.kind === 'children') params.set('parent', mode.parent);
  params.set('limit', String(PAGE_SIZE));
  return params.toString();
}

interface RowProps {
  run: ApiRun;
  /** 0 for a row of the list itself, 1+ for a child run listed under its parent. */
  depth: number;
  /** Whether the row marks a child run with its parent (a list of every run). */
  markParent: boolean;
  /** Whether its child runs can be listed under it (else its count links to them). */
  nests: boolean;
  open: boolean;
  onToggle: (runId: string) => void;
}

function ChildrenControl({ run, nests, open, onToggle }: Pick<RowProps, 'run' | 'nests' | 'open' | 'onToggle'>) {
  if (run.child_runs === 0) return null;
  const text = `${run.child_runs} child run${run.child_runs === 1 ? '' : 's'}`;
  if (!nests) {
    return (
      <a class="children-link" href={`/?parent=${encodeURIComponent(run.run_id)}`}>
        {text}
      </a>
    );
  }
  return (
    <button type="button" class="children-toggle link" data-children-of={run.run_id} aria-expanded={open} onClick={() => onToggle(run.run_id)}>
      {open ? '▾' : '▸'} {text}
    </button>
  );
}

function RunRow({ run, depth, markParent, nests, open, onToggle }: RowProps) {
  const running = run.status === 'running';
  return (
    <tr
      data-run-id={run.run_id}
      data-status={run.status}
      data-parent-run-id={run.parent_run_id ?? undefined}
      data-depth={depth}
      class={depth > 0 ? 'child-run' : run.parent_run_id !== null ? 'child-run flat' : undefined}
    >
      <td>
        <StatusBadge status={run.status} />
        {run.engine_gone ? <span class="warning" title="its engine is gone"> !</span> : null}
      </td>
      <td class="mono run-cell" style={depth > 0 ? { paddingLeft: `${10 + 22 * depth}px` } : undefined}>
        {depth > 0 ? <span class="muted">↳ </span> : null}
        <a href={runHref(run.run_id)}>{run.run_id}</a>{' '}
        {depth > 0 && run.parent_step_id !== null ? <span class="muted step-of">step {run.parent_step_id}</span> : null}
        <ChildrenControl run={run} nests={nests} open={open} onToggle={onToggle} />
        {markParent && run.parent_run_id !== null ? (
          <div class="parent-of">
            ↳ child of <a href={runHref(run.parent_run_id)}>{run.parent_run_id}</a>
            {run.parent_step_id !== null ? <>, step <a href={runHref(run.parent_run_id, run.parent_step_id)}>{run.parent_step_id}</a></> : null}
          </div>
        ) : null}
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

/** Replaces `run` in `runs` when it is there; returns null when it is not. */
function replaced(runs: readonly ApiRun[], run: ApiRun): ApiRun[] | null {
  return runs.some((r) => r.run_id === run.run_id) ? runs.map((r) => (r.run_id === run.run_id ? run : r)) : null;
}

function newestFirst(runs: ApiRun[]): ApiRun[] {
  return runs.sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : a.run_id < b.run_id ? 1 : -1));
}

export function RunsPage() {
  const query = location.value.query;
  const key = query.toString();
  const [page, setPage] = useState<RunsPageData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [plans, setPlans] = useState<ApiPlan[]>([]);
  /** The child runs loaded under a parent row, by parent run id. */
  const [nested, setNested] = useState<Record<string, RunsPageData>>({});
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const textInput = useRef<HTMLInputElement>(null);
  const mode = modeOf(query);
  const anyRunning = (page?.runs.some((r) => r.status === 'running') ?? false) || Object.values(nested).some((n) => n.runs.some((r) => r.status === 'running'));
  useEffect(() => tickWhile(anyRunning), [anyRunning]);

  useEffect(() => {
    const abort = new AbortController();
    setNested({});
    setOpen(new Set());
    getJson<RunsPageData>(`${apiPath('runs')}?${apiQuery(query)}`, abort.signal)
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
        const runs = replaced(p.runs, run);
        if (runs !== null) return { ...p, runs };
        if (!firstPage || !matches(run, query)) return p;
        return { ...p, runs: newestFirst([run, ...p.runs]) };
      });
      setNested((n) => {
        let changed = false;
        const next: Record<string, RunsPageData> = {};
        for (const [parent, list] of Object.entries(n)) {
          const runs = replaced(list.runs, run) ?? (run.parent_run_id === parent ? newestFirst([run, ...list.runs]) : null);
          next[parent] = runs === null ? list : { ...list, runs };
          changed ||= runs !== null;
        }
        return changed ? next : n;
      });
    };
    return () => source.close();
  }, [key]);

  const toggle = (runId: string): void => {
    const next = new Set(open);
    if (!next.delete(runId)) {
      next.add(runId);
      if (nested[runId] === undefined) {
        getJson<RunsPageData>(`${apiPath('runs')}?parent=${encodeURIComponent(runId)}&limit=${NESTED_SIZE}`)
          .then((p) => setNested((n) => ({ ...n, [runId]: n[runId] ?? p })))
          .catch((e: unknown) => setError(String(e)));
      }
    }
    setOpen(next);
  };

  /** The rows of `runs` and, under each open parent, its child runs (recursively). */
  const rows = (runs: readonly ApiRun[], depth: number, seen: ReadonlySet<string>): JSX.Element[] =>
    runs.flatMap((r) => {
      const isOpen = open.has(r.run_id) && !seen.has(r.run_id);
      const own = (
        <RunRow key={r.run_id} run={r} depth={depth} markParent={mode.kind === 'all'} nests={mode.kind !== 'all'} open={isOpen} onToggle={toggle} />
      );
      const children = isOpen ? nested[r.run_id] : undefined;
      if (children === undefined) return [own];
      const more = r.child_runs > children.runs.length || children.next !== null;
      return [
        own,
        ...rows(children.runs, depth + 1, new Set([...seen, r.run_id])),
        ...(more
          ? [
              <tr key={`${r.run_id}-more`} class="child-run more">
                <td />
                <td colSpan={5} style={{ paddingLeft: `${10 + 22 * (depth + 1)}px` }}>
                  <a href={`/?parent=${encodeURIComponent(r.run_id)}`}>all {r.child_runs} child runs of {r.run_id} →</a>
                </td>
              </tr>,
            ]
          : []),
      ];
    });

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
        {mode.kind !== 'children' ? (
          <label title={query.get('plan') || query.get('q') ? 'a plan filter or a search lists child runs too' : 'list child runs of plan steps as rows of their own'}>
            <input
              type="checkbox"
              name="children"
              checked={mode.kind === 'all'}
              disabled={Boolean(query.get('plan') || query.get('q'))}
              onChange={(e) => navigate(withParam(query, 'children', e.currentTarget.checked ? '1' : null))}
            />{' '}
            child runs too
          </label>
        ) : null}
        {key !== '' ? <a href="/">clear</a> : null}
      </form>
      {mode.kind === 'children' ? (
        <p class="children-of">
          Child runs of <a class="mono" href={runHref(mode.parent)}>{mode.parent}</a> (started by its plan steps).
        </p>
      ) : null}
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
          <tbody>{rows(page.runs, 0, new Set())}</tbody>
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
