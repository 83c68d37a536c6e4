/**
 * The step table: one row per step in topological order (status, attempts, duration, exit
 * code or reason), virtualised. Each row carries `data-step-id` and `data-status`.
 */
import type { Virtualizer } from '@tanstack/virtual-core';
import { useEffect, useRef } from 'preact/hooks';
import { StatusBadge } from '../components/status-badge.js';
import { VirtualList } from '../components/virtual-list.js';
import { elapsedMs, formatDuration } from '../format.js';
import { navigate, runHref } from '../router.js';
import { nowMs } from '../status.js';
import type { ApiStep } from '../types.js';
import type { RunStore } from './run-store.js';

const ROW_PX = 30;

/** Exit code, timeout, signal or reason: how the step ended, in a few words. */
function outcomeText(step: ApiStep): string {
  if (step.status === 'running') return '';
  if (step.reason === 'timeout') return step.signal ? `timeout (${step.signal})` : 'timeout';
  if (step.reason === null || step.reason === 'exit_code' || step.reason === 'signal') {
    if (step.signal) return `signal ${step.signal}`;
    return step.exit_code === null ? '' : `exit ${step.exit_code}`;
  }
  return step.upstream ? `${step.reason} (${step.upstream})` : step.reason;
}

function StepRow({ store, stepId }: { store: RunStore; stepId: string }) {
  const step = store.steps.get(stepId)!.value;
  const selected = store.selected.value === stepId;
  const running = step.status === 'running';
  const duration = elapsedMs(step.started_at, step.duration_ms, running, running ? nowMs.value : 0);
  return (
    <div
      class={`step-row${selected ? ' selected' : ''}`}
      data-step-id={stepId}
      data-status={step.status}
      aria-selected={selected}
      title={step.detail ?? undefined}
      onClick={() => (store.selected.value = stepId)}
      onDblClick={() => navigate(runHref(step.run_id, stepId))}
    >
      <span class="c-status">
        <StatusBadge status={step.status} />
      </span>
      <span class="c-step">
        <a href={runHref(step.run_id, stepId)}>{stepId}</a>
        {step.name !== stepId ? <span class="muted"> {step.name}</span> : null}
      </span>
      <span class="c-num">{step.attempts}</span>
      <span class="c-num">{formatDuration(duration)}</span>
      <span class="c-outcome">{outcomeText(step)}</span>
    </div>
  );
}

export function StepTable({ store }: { store: RunStore }) {
  const control = useRef<Virtualizer<HTMLDivElement, Element> | null>(null);
  const selected = store.selected.value;
  useEffect(() => {
    if (selected !== null) control.current?.scrollToIndex(store.order.indexOf(selected), { align: 'auto' });
  }, [selected]);
  return (
    <VirtualList
      class="step-table"
      count={store.order.length}
      rowHeightPx={ROW_PX}
      maxHeightPx={480}
      control={control}
      header={
        <div class="step-row step-head">
          <span class="c-status">status</span>
          <span class="c-step">step</span>
          <span class="c-num">attempts</span>
          <span class="c-num">duration</span>
          <span class="c-outcome">exit code or reason</span>
        </div>
      }
      renderRow={(i) => <StepRow store={store} stepId={store.order[i]!} />}
    />
  );
}
