/**
 * A run as the page holds it: the snapshot from `GET /api/runs/<id>`, then kept current by
 * applying the run's events from its event stream (apply-event.ts). Each step and each step's
 * attempts are their own signal, so an event re-renders only the elements showing that step
 * (the graph node, the table row, the timeline bars), never the whole page.
 */
import { batch, computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import type { ApiAttempt, ApiRun, ApiStep, EngineEvent, RunDetail } from '../types.js';
import { applyEvent } from './apply-event.js';

/** A group (matrix or for_each step) of at most this many instances is shown open until toggled. */
export const OPEN_GROUP_MAX = 12;

/** A child run of one of the run's plan steps. */
export type ChildRun = RunDetail['children'][number];

/** A line of the step table and the timeline: a step, a group, or (indented) one of its instances. */
export interface StepLine {
  id: string;
  /** 1 for an instance under its group. */
  depth: 0 | 1;
}

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
  /** Instance ids of each matrix / for_each step the store holds, in position order. */
  readonly groups = new Map<string, string[]>();
  /** Groups whose open/closed state the user flipped (the default: {@link isOpenByDefault}). */
  readonly toggled = signal<ReadonlySet<string>>(new Set());
  /** Recorded outputs by step id (secret values masked), kept current by `step_succeeded`. */
  readonly outputs: Signal<Record<string, Record<string, string>>>;
  /** Child runs of the run's plan steps, in the order they started. */
  readonly children: Signal<ChildRun[]>;
  /** The lines of the step table and timeline: groups once, their instances under them while open. */
  readonly lines: ReadonlySignal<StepLine[]>;

  /**
   * @param keep which steps that appear during the run (for_each instances) the store takes on;
   *   a step page keeps only its own step's instances. Default: all.
   */
  constructor(
    detail: Pick<RunDetail, 'run' | 'steps' | 'attempts'> & Partial<Pick<RunDetail, 'outputs' | 'children'>>,
    private readonly keep: (row: ApiStep) => boolean = () => true,
  ) {
    this.run = signal(detail.run);
    this.order = detail.steps.map((s) => s.step_id);
    this.outputs = signal(detail.outputs ?? {});
    this.children = signal(detail.children ?? []);
    for (const s of detail.steps) {
      this.steps.set(s.step_id, signal(s));
      this.attempts.set(s.step_id, signal([]));
    }
    for (const s of detail.steps) this.noteGroup(s);
    this.lines = computed(() => {
      this.shape.value;
      this.toggled.value;
      return this.buildLines();
    });
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

  /**
   * Adds steps that appeared during the run (the instances of an expanded for_each step); ones
   * already known are left alone. Returns how many were new to it (kept or not).
   */
  addSteps(rows: readonly ApiStep[]): number {
    let added = 0;
    let kept = false;
    for (const row of rows) {
      if (this.steps.has(row.step_id)) continue;
      added++;
      if (!this.keep(row)) continue;
      this.order.push(row.step_id);
      this.steps.set(row.step_id, signal(row));
      this.attempts.set(row.step_id, signal([]));
      this.noteGroup(row);
      kept = true;
    }
    if (kept) this.shape.value++;
    return added;
  }

  /** Whether a step is a matrix or for_each step (a group of instances). */
  isGroup(stepId: string): boolean {
    // peek: kind and instance_of never change, so callers (computed lines) need not re-run on a status change.
    const kind = this.steps.get(stepId)?.peek().kind;
    return kind === 'matrix' || kind === 'for_each';
  }

  /** The group an instance belongs to, when the store holds that group; else null. */
  groupOf(stepId: string): string | null {
    const g = this.steps.get(stepId)?.peek().instance_of ?? null;
    return g !== null && this.steps.has(g) ? g : null;
  }

  /** A small group starts open, a big one (a wide fan-out) closed. */
  isOpenByDefault(groupId: string): boolean {
    return (this.groups.get(groupId)?.length ?? 0) <= OPEN_GROUP_MAX;
  }

  /** Groups open by default whatever their size (a group's own page). */
  readonly openByDefault = new Set<string>();

  /** Whether a group's instances are listed under it now. */
  isOpen(groupId: string): boolean {
    return (this.openByDefault.has(groupId) || this.isOpenByDefault(groupId)) !== this.toggled.value.has(groupId);
  }

  /** Opens or closes a group's instances in the table and the timeline. */
  toggle(groupId: string): void {
    const next = new Set(this.toggled.value);
    if (!next.delete(groupId)) next.add(groupId);
    this.toggled.value = next;
  }

  /** Opens the group of an instance, so that the instance has a line. */
  reveal(stepId: string): void {
    const g = this.groupOf(stepId);
    if (g !== null && !this.isOpen(g)) this.toggle(g);
  }

  /** Records a child run (a plan step's attempt started it), or its newer status. */
  noteChild(child: ChildRun): void {
    const list = this.children.value;
    const i = list.findIndex((c) => c.run_id === child.run_id);
    this.children.value = i === -1 ? [...list, child] : list.map((c, k) => (k === i ? child : c));
  }

  private noteGroup(row: ApiStep): void {
    if ((row.kind === 'matrix' || row.kind === 'for_each') && !this.groups.has(row.step_id)) this.groups.set(row.step_id, []);
    if (row.instance_of !== null) {
      const list = this.groups.get(row.instance_of);
      if (list) list.push(row.step_id);
      else this.groups.set(row.instance_of, [row.step_id]);
    }
  }

  /**
   * Steps in topological order, each group once, where its first line would be (a matrix step
   * comes after its instances in `order`: it depends on them), its instances under it while open.
   */
  private buildLines(): StepLine[] {
    const lines: StepLine[] = [];
    const placed = new Set<string>();
    for (const id of this.order) {
      const group = this.isGroup(id) ? id : this.groupOf(id);
      if (group === null) {
        lines.push({ id, depth: 0 });
        continue;
      }
      if (placed.has(group)) continue;
      placed.add(group);
      lines.push({ id: group, depth: 0 });
      if (this.isOpen(group)) for (const m of this.groups.get(group) ?? []) lines.push({ id: m, depth: 1 });
    }
    return lines;
  }

  patchRun(change: Partial<ApiRun>): void {
    this.run.value = { ...this.run.value, ...change };
  }
}
