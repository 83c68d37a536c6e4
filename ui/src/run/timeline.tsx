/**
 * The timeline (Gantt): one row per step, one bar per attempt from its spawn to its end (or
 * now, while it runs), preceded by a lighter bar for the wait between the step being ready and
 * its process starting; retries are separate bars. Virtualised like the step table. Bars
 * carry `data-step-id`, `data-status` (the step's status) and `data-attempt`.
 */
import type { Virtualizer } from '@tanstack/virtual-core';
import { useEffect, useRef } from 'preact/hooks';
import { VirtualList } from '../components/virtual-list.js';
import { formatDuration, timeMs } from '../format.js';
import { navigate, runHref } from '../router.js';
import { nowMs, statusClass } from '../status.js';
import type { ApiAttempt } from '../types.js';
import type { RunStore } from './run-store.js';

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

function TimelineRow({ store, stepId, span }: { store: RunStore; stepId: string; span: Span }) {
  const step = store.steps.get(stepId)!.value;
  const attempts = store.attempts.get(stepId)!.value;
  const now = attempts.some((a) => a.status === 'running') ? nowMs.value : 0;
  const pct = (ms: number): number => (100 * (ms - span.startMs)) / (span.endMs - span.startMs);
  const selected = store.selected.value === stepId;
  return (
    <div class={`tl-row${selected ? ' selected' : ''}`} aria-selected={selected} onClick={() => (store.selected.value = stepId)} onDblClick={() => navigate(runHref(step.run_id, stepId))}>
      <span class="tl-label" style={{ width: `${LABEL_PX}px` }} title={stepId}>
        {stepId}
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
  const control = useRef<Virtualizer<HTMLDivElement, Element> | null>(null);
  const run = store.run.value;
  store.revision.value; // new attempts widen the span
  const span = spanOf(store, run.status === 'running' ? nowMs.value : 0);
  const selected = store.selected.value;
  useEffect(() => {
    if (selected !== null) control.current?.scrollToIndex(store.order.indexOf(selected), { align: 'auto' });
  }, [selected]);
  return (
    <VirtualList
      class="timeline"
      count={store.order.length}
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
      renderRow={(i) => <TimelineRow store={store} stepId={store.order[i]!} span={span} />}
    />
  );
}
