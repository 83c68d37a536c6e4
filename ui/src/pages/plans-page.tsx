/** `/plans`: every plan this state directory has runs of, with its newest run. */
import { useEffect, useState } from 'preact/hooks';
import { apiPath, getJson } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatTime } from '../format.js';
import { runHref } from '../router.js';
import type { ApiPlan } from '../types.js';

export function PlansPage() {
  const [plans, setPlans] = useState<ApiPlan[] | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    getJson<{ plans: ApiPlan[] }>(apiPath('plans'), abort.signal)
      .then((p) => setPlans(p.plans))
      .catch(() => {});
    return () => abort.abort();
  }, []);
  if (plans === null) return <p class="muted">loading…</p>;
  if (plans.length === 0) return <p class="muted">No runs yet, so no plans.</p>;
  return (
    <table class="runs">
      <thead>
        <tr>
          <th>plan</th>
          <th>version</th>
          <th>runs</th>
          <th>newest run (its graph)</th>
          <th>started</th>
        </tr>
      </thead>
      <tbody>
        {plans.map((p) => (
          <tr key={p.plan_id} data-plan-id={p.plan_id}>
            <td>
              <a href={`/?plan=${encodeURIComponent(p.plan_id)}`}>{p.plan_id}</a>
            </td>
            <td>{p.plan_version}</td>
            <td>{p.runs}</td>
            <td class="mono">
              <StatusBadge status={p.last_status} /> <a href={runHref(p.last_run_id)}>{p.last_run_id}</a>
            </td>
            <td>{formatTime(p.last_started_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
