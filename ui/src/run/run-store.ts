/**
 * A run as the page holds it: the snapshot from `GET /api/runs/<id>`, then kept current by
 * applying the run's events from its event stream (apply-event.ts). Each step and each step's
 * attempts are their own signal, so an event re-renders only the elements showing that step
 * (the graph node, the table row, the timeline bars), never the whole page.
 */
import { batch, signal, type Signal } from '@preact/signals';
import type { ApiAttempt, ApiRun, ApiStep, EngineEvent, RunDetail } from '../types.js';
import { applyEvent } from './apply-event.js';

export class RunStore {
  readonly run: Signal<ApiRun>;
  /** Step ids in topological order (`steps.position`); for_each instances are appended as they are expanded. */
  readonly order: string[];
  /** Bumped when steps are added (a for_each expansion): views that list every step re-render. */
  readonly shape = signal(0);
  readonly steps = new Map<string, Signal<ApiStep>>();
  readonly attempts = new Map<string, Signal<ApiAttempt[]>>();
  /** The step selected in any of the views. */
  readonly selected = signal<string | null>(null);
  /** Bumped by every applied batch: for the few views that summarise all steps (root cause). */
  readonly revision = signal(0);

  constructor(detail: Pick<RunDetail, 'run' | 'steps' | 'attempts'>) {
    this.run = signal(detail.run);
    this.order = detail.steps.map((s) => s.step_id);
    for (const s of detail.steps) {
      this.steps.set(s.step_id, signal(s));
      this.attempts.set(s.step_id, signal([]));
    }
    const byStep = new Map<string, ApiAttempt[]>();
    for (const a of detail.attempts) byStep.set(a.step_id, [...(byStep.get(a.step_id) ?? []), a]);
    for (const [id, list] of byStep) this.attempts.get(id)?.value.push(...list.sort((x, y) => x.attempt - y.attempt));
  }

  /** The seq the store is current as of: the stream resumes after it. */
  get lastSeq(): number {
    return this.run.value.last_seq;
  }

  /** Applies events (in seq order; ones already applied are ignored) in one batch. */
  apply(events: readonly EngineEvent[]): void {
    batch(() => {
      for (const e of events) if (e.seq > this.lastSeq) applyEvent(this, e);
      this.revision.value++;
    });
  }

  /** Every step's current row, in topological order. */
  allSteps(): ApiStep[] {
    return this.order.map((id) => this.steps.get(id)!.value);
  }

  /** Replaces one step's row with `change` applied. */
  patchStep(stepId: string, change: Partial<ApiStep>): void {
    const s = this.steps.get(stepId);
    if (s) s.value = { ...s.value, ...change };
  }

  /** Replaces one attempt's row with `change` applied. */
  patchAttempt(stepId: string, attempt: number, change: Partial<ApiAttempt>): void {
    const list = this.attempts.get(stepId);
    if (list) list.value = list.value.map((a) => (a.attempt === attempt ? { ...a, ...change } : a));
  }

  addAttempt(row: ApiAttempt): void {
    const list = this.attempts.get(row.step_id);
    if (list) list.value = [...list.value.filter((a) => a.attempt !== row.attempt), row];
  }

  /** Adds steps that appeared during the run (the instances of an expanded for_each step); ones already known are left alone. */
  addSteps(rows: readonly ApiStep[]): void {
    let added = false;
    for (const row of rows) {
      if (this.steps.has(row.step_id)) continue;
      this.order.push(row.step_id);
      this.steps.set(row.step_id, signal(row));
      this.attempts.set(row.step_id, signal([]));
      added = true;
    }
    if (added) this.shape.value++;
  }

  patchRun(change: Partial<ApiRun>): void {
    this.run.value = { ...this.run.value, ...change };
  }
}
