/**
 * The step table: one row per step in topological order (status, attempts, duration, exit
 * code or reason), virtualised. A matrix or for_each step is one group row with its instances'
 * counts, its instances indented under it while it is open (a toggle; wide fan-outs start
 * closed). Each row carries `data-step-id` and `data-status`.
 */
import { StatusBadge } from '../components/status-badge.js';
import { VirtualList } from '../components/virtual-list.js';
import { elapsedMs, formatDuration } from '../format.js';
import { navigate, runHref } from '../router.js';
import { nowMs } from '../status.js';
import type { ApiStep } from '../types.js';
import { groupWord, instanceLabel, shownStatus, tallyOf, tallyText } from './groups.js';
import { useFollowSelection } from './follow-selection.js';
import type { RunStore, StepLine } from './run-store.js';

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

function StepRow({ store, line }: { store: RunStore; line: StepLine }) {
  const stepId = line.id;
  const step = store.steps.get(stepId)!.value;
  const selected = store.selected.value === stepId;
  const running = step.status === 'running';
  const duration = elapsedMs(step.started_at, step.duration_ms, running, running ? nowMs.value : 0);
  const child = step.kind === 'plan' && step.child_run_id !== null;
  return (
    <div
      class={`step-row${selected ? ' selected' : ''}${line.depth === 1 ? ' instance' : ''}`}
      data-step-id={stepId}
      data-status={step.status}
      data-instance-of={step.instance_of ?? undefined}
      aria-selected={selected}
      title={step.detail ?? undefined}
      onClick={() => (store.selected.value = stepId)}
      onDblClick={() => navigate(runHref(step.run_id, stepId))}
    >
      <span class="c-status">
        <StatusBadge status={step.status} />
      </span>
      <span class="c-step">
        <a href={runHref(step.run_id, stepId)} title={stepId}>
          {line.depth === 1 ? instanceLabel(stepId, step.instance_of) : stepId}
        </a>
        {step.name !== stepId ? <span class="muted"> {step.name}</span> : null}
        {child ? (
          <>
            {' '}
            <a class="child-link" href={runHref(step.child_run_id!)} title="its child run" onClick={(e) => e.stopPropagation()}>
              child run →
            </a>
          </>
        ) : null}
      </span>
      <span class="c-num">{step.attempts}</span>
      <span class="c-num">{formatDuration(duration)}</span>
      <span class="c-outcome">{outcomeText(step)}</span>
    </div>
  );
}

/** A matrix or for_each step: its own status, the toggle of its instances, their counts. */
function GroupRow({ store, stepId }: { store: RunStore; stepId: string }) {
  const group = store.steps.get(stepId)!.value;
  store.shape.value; // a for_each expansion adds instances
  const tally = tallyOf(store, stepId);
  const open = store.isOpen(stepId);
  const selected = store.selected.value === stepId;
  const shown = shownStatus(group, tally);
  const running = shown === 'running';
  const started = group.started_at ?? firstStart(store, stepId);
  const duration = elapsedMs(started, group.duration_ms, running, running ? nowMs.value : 0);
  const text = tallyText(group, tally);
  return (
    <div
      class={`step-row group${selected ? ' selected' : ''}`}
      data-step-id={stepId}
      data-status={group.status}
      data-kind={group.kind}
      data-instances={tally.total}
      data-open={open}
      aria-selected={selected}
      aria-expanded={open}
      title={group.detail ?? text}
      onClick={() => (store.selected.value = stepId)}
      onDblClick={() => navigate(runHref(group.run_id, stepId))}
    >
      <span class="c-status">
        <StatusBadge status={shown} />
      </span>
      <span class="c-step">
        <button
          type="button"
          class="toggle"
          data-toggle={stepId}
          aria-label={open ? 'hide instances' : 'show instances'}
          disabled={tally.total === 0}
          onClick={(e) => {
            e.stopPropagation();
            store.toggle(stepId);
          }}
        >
          {open && tally.total > 0 ? '▾' : '▸'}
        </button>{' '}
        <a href={runHref(group.run_id, stepId)}>{stepId}</a> <span class="muted">{groupWord(group)} ×{tally.total}</span>
      </span>
      <span class="c-num">—</span>
      <span class="c-num">{formatDuration(duration)}</span>
      <span class="c-outcome group-tally">{text}</span>
    </div>
  );
}

/** When the first instance of a group started (a group's own row has no start), or null. */
function firstStart(store: RunStore, groupId: string): string | null {
  let first: string | null = null;
  for (const id of store.groups.get(groupId) ?? []) {
    const t = store.steps.get(id)?.value.started_at ?? null;
    if (t !== null && (first === null || t < first)) first = t;
  }
  return first;
}

export function StepTable({ store }: { store: RunStore }) {
  const control = useFollowSelection(store);
  const lines = store.lines.value;
  return (
    <VirtualList
      class="step-table"
      count={lines.length}
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
      renderRow={(i) => {
        const line = lines[i]!;
        return store.isGroup(line.id) ? <GroupRow key={line.id} store={store} stepId={line.id} /> : <StepRow key={line.id} store={store} line={line} />;
      }}
    />
  );
}
