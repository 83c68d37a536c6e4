/**
 * The timeline (Gantt): one row per step, one bar per attempt from its spawn to its end (or
 * now, while it runs), preceded by a lighter bar for the wait between the step being ready and
 * its process starting; retries are separate bars. Virtualised like the step table, with the
 * same lines: a matrix or for_each step is one row whose bar spans its instances' attempts,
 * its instances under it while open. Bars carry `data-step-id`, `data-status` (the step's
 * status) and `data-attempt` (a group's bar: `data-instances` instead).
 */
import { VirtualList } from '../components/virtual-list.js';
import { formatDuration, timeMs } from '../format.js';
import { navigate, runHref } from '../router.js';
import { nowMs, statusClass } from '../status.js';
import type { ApiAttempt } from '../types.js';
import { instanceLabel, shownStatus, tallyOf } from './groups.js';
import { useFollowSelection } from './follow-selection.js';
import type { RunStore, StepLine } from './run-store.js';

const ROW_PX = 24;
/** Width of the step-name column, in px; the bars share the rest. */
const LABEL_PX = 160;

/** The time span the bars are drawn over, in epoch ms. */
interface Span {
  startMs: number;
  endMs: number;
}

function attemptEndMs(a: ApiAttempt, now: number): number {
  return a.status === 'running' ? now : timeMs(a.finished_at);
}

function spanOf(store: RunStore, now: number): Span {
  const run = store.run.value;
  const startMs = timeMs(run.started_at);
  let endMs = run.status === 'running' ? now : timeMs(run.finished_at);
  if (!Number.isFinite(endMs)) endMs = now;
  for (const list of store.attempts.values()) for (const a of list.value) endMs = Math.max(endMs, attemptEndMs(a, now) || 0);
  return { startMs, endMs: Math.max(endMs, startMs + 1) };
}

/** A group's row: one bar from its first instance attempt's start to its last one's end. */
function GroupTimelineRow({ store, stepId, span }: { store: RunStore; stepId: string; span: Span }) {
  const group = store.steps.get(stepId)!.value;
  store.shape.value;
  const tally = tallyOf(store, stepId);
  const members = store.groups.get(stepId) ?? [];
  let startMs = Infinity;
  let endMs = -Infinity;
  let live = false;
  for (const id of members) {
    for (const a of store.attempts.get(id)?.value ?? []) {
      if (a.status === 'running') live = true;
      startMs = Math.min(startMs, a.started_at_ms ?? timeMs(a.started_at));
      endMs = Math.max(endMs, a.status === 'running' ? Number.POSITIVE_INFINITY : timeMs(a.finished_at));
    }
  }
  if (live) endMs = nowMs.value;
  const pct = (ms: number): number => (100 * (ms - span.startMs)) / (span.endMs - span.startMs);
  const selected = store.selected.value === stepId;
  const shown = shownStatus(group, tally);
  return (
    <div class={`tl-row group${selected ? ' selected' : ''}`} aria-selected={selected} onClick={() => (store.selected.value = stepId)} onDblClick={() => navigate(runHref(group.run_id, stepId))}>
      <span class="tl-label" style={{ width: `${LABEL_PX}px` }} title={`${stepId}: ${tally.total} instances`}>
        {stepId} <span class="muted">×{tally.total}</span>
      </span>
      <span class="tl-track">
        {Number.isFinite(startMs) && Number.isFinite(endMs) ? (
          <span
            class={`tl-bar tl-group ${statusClass(shown)}`}
            data-step-id={stepId}
            data-status={group.status}
            data-instances={tally.total}
            title={`${stepId}: ${tally.total} instances, ${formatDuration(endMs - startMs)} from the first start to the last end`}
            style={{ left: `${pct(startMs)}%`, width: `max(2px, ${pct(endMs) - pct(startMs)}%)` }}
          />
        ) : null}
      </span>
    </div>
  );
}

function TimelineRow({ store, line, span }: { store: RunStore; line: StepLine; span: Span }) {
  const stepId = line.id;
  const step = store.steps.get(stepId)!.value;
  const attempts = store.attempts.get(stepId)!.value;
  const now = attempts.some((a) => a.status === 'running') ? nowMs.value : 0;
  const pct = (ms: number): number => (100 * (ms - span.startMs)) / (span.endMs - span.startMs);
  const selected = store.selected.value === stepId;
  return (
    <div
      class={`tl-row${selected ? ' selected' : ''}${line.depth === 1 ? ' instance' : ''}`}
      aria-selected={selected}
      onClick={() => (store.selected.value = stepId)}
      onDblClick={() => navigate(runHref(step.run_id, stepId))}
    >
      <span class="tl-label" style={{ width: `${LABEL_PX}px` }} title={stepId}>
        {line.depth === 1 ? instanceLabel(stepId, step.instance_of) : stepId}
      </span>
      <span class="tl-track">
        {attempts.map((a) => {
          const startMs = a.started_at_ms ?? timeMs(a.started_at);
          const readyMs = a.ready_at_ms ?? startMs;
          const endMs = Math.max(attemptEndMs(a, now), startMs);
          const title = `${stepId} attempt ${a.attempt}: ${a.status}, ${formatDuration(endMs - startMs)}, waited ${formatDuration(startMs - readyMs)}`;
          return (
            <span key={a.attempt}>
              {startMs - readyMs >= 1 ? (
                <span class="tl-wait" style={{ left: `${pct(readyMs)}%`, width: `${pct(startMs) - pct(readyMs)}%` }} title={`waited ${formatDuration(startMs - readyMs)} for a slot`} />
              ) : null}
              <span
                class={`tl-bar ${statusClass(a.status)}`}
                data-step-id={stepId}
                data-status={step.status}
                data-attempt={a.attempt}
                data-attempt-status={a.status}
                title={title}
                style={{ left: `${pct(startMs)}%`, width: `max(2px, ${pct(endMs) - pct(startMs)}%)` }}
              />
            </span>
          );
        })}
      </span>
    </div>
  );
}

export function Timeline({ store }: { store: RunStore }) {
  const control = useFollowSelection(store);
  const run = store.run.value;
  store.revision.value; // new attempts widen the span
  const span = spanOf(store, run.status === 'running' ? nowMs.value : 0);
  const lines = store.lines.value;
  return (
    <VirtualList
      class="timeline"
      count={lines.length}
      rowHeightPx={ROW_PX}
      maxHeightPx={480}
      control={control}
      header={
        <div class="tl-row tl-head">
          <span class="tl-label" style={{ width: `${LABEL_PX}px` }}>
            step
          </span>
          <span class="tl-track tl-axis">
            <span style={{ left: '0%' }}>0</span>
            <span style={{ left: '50%' }}>{formatDuration((span.endMs - span.startMs) / 2)}</span>
            <span style={{ right: '0' }}>{formatDuration(span.endMs - span.startMs)}</span>
          </span>
        </div>
      }
      renderRow={(i) => {
        const line = lines[i]!;
        return store.isGroup(line.id) ? <GroupTimelineRow key={line.id} store={store} stepId={line.id} span={span} /> : <TimelineRow key={line.id} store={store} line={line} span={span} />;
      }}
    />
  );
}
