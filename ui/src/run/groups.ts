/**
 * Matrix and for_each steps ("groups") as the page summarises them: how their instances stand
 * ("3/4 succeeded, 1 failed, tolerated 1"), and the status a group is drawn with. runs.db keeps
 * a group `pending` until its last instance ends (it runs nothing itself); the page draws it as
 * `running` meanwhile, while its elements' `data-status` stays runs.db's.
 */
import type { ApiStep, StepStatus } from '../types.js';
import type { RunStore } from './run-store.js';

/** Instances by status, and how many there are. */
export interface Tally {
  total: number;
  counts: Map<StepStatus, number>;
}

/** Statuses in the order a tally reads them. */
const ORDER: readonly StepStatus[] = ['succeeded', 'failed', 'running', 'waiting', 'pending', 'skipped', 'cancelled', 'interrupted'];

/** Counts the instances of `groupId` (reading each instance's signal: the caller re-renders as they change). */
export function tallyOf(store: RunStore, groupId: string): Tally {
  const members = store.groups.get(groupId) ?? [];
  const counts = new Map<StepStatus, number>();
  for (const id of members) {
    const s = store.steps.get(id)?.value.status;
    if (s !== undefined) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return { total: members.length, counts: new Map(ORDER.filter((s) => counts.has(s)).map((s) => [s, counts.get(s)!])) };
}

/** The failures a failed group allowed, from its `detail` ("3 of 4 instances failed (tolerated: 1)"). */
function toleratedOf(group: ApiStep): number | null {
  const m = /\(tolerated: (\d+)\)/.exec(group.detail ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * One line about a group's instances: `3/4 succeeded, 1 failed, tolerated 1`; `expands at run
 * time` for a for_each step not expanded yet; `no instances (empty list)` for an empty one.
 */
export function tallyText(group: ApiStep, t: Tally): string {
  if (t.total === 0) {
    if (group.kind === 'for_each' && (group.status === 'pending' || group.status === 'waiting')) return 'expands at run time';
    return group.status === 'succeeded' ? 'no instances (empty list)' : 'no instances';
  }
  const n = (s: StepStatus): number => t.counts.get(s) ?? 0;
  const parts = [`${n('succeeded')}/${t.total} succeeded`];
  for (const [s, c] of t.counts) if (s !== 'succeeded') parts.push(`${c} ${s}`);
  if (n('failed') > 0) {
    if (group.status === 'succeeded') parts.push(`tolerated ${n('failed')}`);
    else {
      const allowed = toleratedOf(group);
      if (group.status === 'failed' && allowed !== null) parts.push(`tolerates ${allowed}`);
    }
  }
  return parts.join(', ');
}

/** The status a group is drawn with: its own, or `running` while it waits for instances that have started. */
export function shownStatus(group: ApiStep, t: Tally): StepStatus {
  if (group.status !== 'pending' && group.status !== 'waiting') return group.status;
  for (const [s, c] of t.counts) if (c > 0 && s !== 'pending' && s !== 'waiting') return 'running';
  return group.status;
}

/** The `kind` word of a group: `matrix` or `for_each`. */
export function groupWord(group: ApiStep): string {
  return group.kind === 'for_each' ? 'for_each' : 'matrix';
}

/** How an instance reads under its group: `[os=linux,py=3.11]` for `test[os=linux,py=3.11]`. */
export function instanceLabel(stepId: string, groupId: string | null): string {
  return groupId !== null && stepId.startsWith(`${groupId}[`) ? stepId.slice(groupId.length) : stepId;
}
