import type { AttemptStatus, RunStatus, StepStatus } from '../types.js';
import { statusClass } from '../status.js';

/** A status word in its colour. */
export function StatusBadge({ status }: { status: RunStatus | StepStatus | AttemptStatus }) {
  return <span class={`badge ${statusClass(status)}`}>{status}</span>;
}
