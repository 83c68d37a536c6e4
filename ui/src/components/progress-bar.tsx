/** Steps finished of total, one segment per final status, with `done/total` as text. */
import type { ApiRun } from '../types.js';

export function ProgressBar({ run }: { run: ApiRun }) {
  const total = Math.max(run.steps_total, 1);
  const parts = [
    ['succeeded', run.steps_succeeded],
    ['failed', run.steps_failed],
    ['skipped', run.steps_skipped],
    ['cancelled', run.steps_cancelled],
  ] as const;
  const done = parts.reduce((n, [, c]) => n + c, 0);
  const title = parts.map(([s, c]) => `${c} ${s}`).join(', ') + ` of ${run.steps_total}`;
  return (
    <div class="progress" title={title} data-done={done} data-total={run.steps_total}>
      <div class="progress-track">
        {parts.map(([s, c]) => (c > 0 ? <div key={s} class={`progress-seg status-${s}`} style={{ width: `${(100 * c) / total}%` }} /> : null))}
      </div>
      <span class="progress-text">
        {done}/{run.steps_total}
      </span>
    </div>
  );
}
