/**
 * What one event changes in a run, step and attempt rows: the same effects the engine's
 * runs.db sink applies (docs/runs-db.md, "Event types"), so the page, once it has applied the
 * events after its snapshot, shows what runs.db holds.
 */
import type { EngineEvent } from '../types.js';
import { unreachable } from '../status.js';
import type { RunStore } from './run-store.js';

export function applyEvent(store: RunStore, e: EngineEvent): void {
  const run = store.run.value;
  switch (e.type) {
    case 'run_started':
    case 'step_retrying':
    case 'step_orphan_killed':
      // The snapshot has run_started's rows; a retry's wait changes no row.
      break;
    case 'step_started':
      store.patchStep(e.step_id, {
        status: 'running',
        attempts: e.attempt,
        started_at: store.steps.get(e.step_id)?.value.started_at ?? e.ts,
        finished_at: null,
        duration_ms: null,
        exit_code: null,
        signal: null,
        reason: null,
        detail: null,
        upstream: null,
        log_path: e.log_path,
        child_run_id: e.child_run_id ?? store.steps.get(e.step_id)?.value.child_run_id ?? null,
      });
      if (e.child_run_id) store.noteChild({ run_id: e.child_run_id, step_id: e.step_id, status: 'running' });
      store.addAttempt({
        run_id: e.run_id,
        step_id: e.step_id,
        attempt: e.attempt,
        status: 'running',
        pid: e.pid,
        exit_code: null,
        signal: null,
        reason: null,
        error: null,
        started_at: e.ts,
        finished_at: null,
        duration_ms: null,
        log_path: e.log_path,
        command: e.command,
        args_json: JSON.stringify(e.args),
        cwd: e.cwd,
        ready_at_ms: e.ready_at_ms,
        started_at_ms: e.started_at_ms,
      });
      break;
    case 'step_succeeded': {
      const ended = { exit_code: e.exit_code, finished_at: e.ts, duration_ms: Math.round(e.duration_ms) };
      store.patchAttempt(e.step_id, e.attempt, { status: 'succeeded', ...ended });
      store.patchStep(e.step_id, { status: 'succeeded', signal: null, reason: null, detail: null, ...ended });
      store.patchRun({ steps_succeeded: run.steps_succeeded + 1 });
      // runs.db replaces the step's outputs rows (runs recorded before outputs had none).
      if (e.outputs !== undefined) {
        const { [e.step_id]: _replaced, ...others } = store.outputs.value;
        store.outputs.value = Object.keys(e.outputs).length > 0 ? { ...others, [e.step_id]: e.outputs } : others;
      }
      break;
    }
    case 'step_failed': {
      const outcome = { exit_code: e.exit_code, signal: e.signal, reason: e.reason, duration_ms: Math.round(e.duration_ms) };
      store.patchAttempt(e.step_id, e.attempt, { status: 'failed', error: e.error, finished_at: e.ts, ...outcome });
      store.patchStep(e.step_id, {
        status: e.will_retry ? 'pending' : 'failed',
        detail: e.error,
        finished_at: e.will_retry ? null : e.ts,
        ...outcome,
      });
      if (!e.will_retry) store.patchRun({ steps_failed: run.steps_failed + 1 });
      break;
    }
    case 'step_skipped':
      store.patchStep(e.step_id, { status: 'skipped', reason: e.reason, detail: e.detail, upstream: e.upstream, finished_at: e.ts });
      store.patchRun({ steps_skipped: run.steps_skipped + 1 });
      break;
    case 'step_cancelled': {
      const killed = e.attempt === null ? {} : { exit_code: e.exit_code, signal: e.signal, duration_ms: e.duration_ms === null ? null : Math.round(e.duration_ms) };
      if (e.attempt !== null) {
        store.patchAttempt(e.step_id, e.attempt, { status: 'cancelled', reason: e.reason, error: e.detail, finished_at: e.ts, ...killed });
      }
      store.patchStep(e.step_id, { status: 'cancelled', reason: e.reason, detail: e.detail, upstream: e.upstream, finished_at: e.ts, ...killed });
      store.patchRun({ steps_cancelled: run.steps_cancelled + 1 });
      break;
    }
    case 'run_cancel_requested':
      store.patchRun({ cancel_requested_at: run.cancel_requested_at ?? e.ts });
      break;
    case 'step_expanded': {
      const base = store.order.length;
      const added = store.addSteps(
        e.steps.map((s, k) => ({
          run_id: e.run_id,
          step_id: s.id,
          position: base + k,
          name: s.name,
          depends_on: JSON.stringify(s.depends_on),
          status: 'pending',
          reason: null,
          detail: null,
          upstream: null,
          attempts: 0,
          exit_code: null,
          signal: null,
          started_at: null,
          finished_at: null,
          duration_ms: null,
          log_path: null,
          kind: s.kind ?? 'command',
          instance_of: s.instance_of ?? null,
          child_run_id: null,
        })),
      );
      store.patchRun({ steps_total: run.steps_total + added });
      break;
    }
    case 'step_waiting':
      store.patchStep(e.step_id, {
        status: 'waiting',
        detail: `waiting for mutex "${e.mutex}", held by run ${e.holder_run_id}${e.holder_step_id ? ` (step "${e.holder_step_id}")` : ''}`,
      });
      break;
    case 'run_waiting':
    case 'step_picked_up':
    case 'step_result_discarded':
    case 'executor_unreachable':
    case 'executor_reconnected':
      // No row changes (runs.db keeps them as events rows only).
      break;
    case 'run_interrupted':
      store.patchRun({ status: 'interrupted', finished_at: e.ts, engine_gone: false });
      for (const [id, s] of store.steps) {
        if (s.value.status !== 'running') continue;
        store.patchStep(id, { status: 'interrupted', reason: 'interrupted', detail: 'the engine process vanished while the step was running', finished_at: e.ts });
        for (const a of store.attempts.get(id)?.value ?? []) {
          if (a.status === 'running') store.patchAttempt(id, a.attempt, { status: 'interrupted', reason: 'interrupted', finished_at: e.ts });
        }
      }
      break;
    case 'run_resumed': {
      for (const id of e.rerun) store.patchStep(id, { status: 'pending', reason: null, detail: null, upstream: null, finished_at: null });
      const steps = store.allSteps();
      const count = (status: string): number => steps.filter((s) => s.status === status).length;
      store.patchRun({
        status: 'running',
        exit_code: null,
        finished_at: null,
        duration_ms: null,
        cancel_requested_at: null,
        pid: e.pid,
        hostname: e.hostname,
        plan_sha256: e.plan_sha256,
        engine_gone: false,
        steps_succeeded: count('succeeded'),
        steps_failed: count('failed'),
        steps_skipped: count('skipped'),
        steps_cancelled: count('cancelled'),
      });
      break;
    }
    case 'run_finished':
      store.patchRun({
        status: e.status,
        exit_code: e.exit_code,
        finished_at: e.ts,
        duration_ms: Math.round(e.duration_ms),
        steps_succeeded: e.succeeded,
        steps_failed: e.failed,
        steps_skipped: e.skipped,
        steps_cancelled: e.cancelled,
      });
      break;
    default:
      unreachable(e);
  }
  store.patchRun({ last_seq: e.seq, heartbeat_at: e.ts });
}
