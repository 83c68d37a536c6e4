/**
 * The JSON shapes of the dashboard's API (docs/dashboard.md), shared by the server (src/ui) and
 * the page (ui/src, type-only imports). Rows keep runs.db's column names (docs/runs-db.md); the
 * few fields that are not columns are marked "derived".
 */
import type { EngineEvent } from '../engine/events.js';
import type { AttemptStatus, RunStatus, StepStatus } from '../engine/status.js';
import type { AttemptRow, RunRow, StepRow } from '../query/runs-reader.js';

export type { AttemptStatus, EngineEvent, RunStatus, StepStatus };

/** A `runs` row as the API sends it. */
export interface ApiRun extends Omit<RunRow, 'status'> {
  status: RunStatus;
  /** Derived: the run is `running` but its engine process is gone (it died; resume continues it). */
  engine_gone: boolean;
  /** Derived: how many runs name this one as their `parent_run_id` (child runs of its plan steps). */
  child_runs: number;
}

/** A `steps` row. */
export interface ApiStep extends Omit<StepRow, 'status'> {
  status: StepStatus;
}

/** An `attempts` row. */
export interface ApiAttempt extends Omit<AttemptRow, 'status'> {
  status: AttemptStatus;
  /** Derived from its `step_started` event: when the step became ready, Unix epoch ms (null if unknown). */
  ready_at_ms: number | null;
  /** Derived from its `step_started` event: when its process was spawned, Unix epoch ms (null if unknown). */
  started_at_ms: number | null;
}

/** `GET /api/runs`. `next` is the `before` cursor of the next page (the last run's id), or null. */
export interface RunsPage {
  runs: ApiRun[];
  next: string | null;
}

/** `GET /api/runs/<run_id>`: one consistent snapshot; `run.last_seq` is the seq it is as of. */
export interface RunDetail {
  run: ApiRun;
  steps: ApiStep[];
  attempts: ApiAttempt[];
  /** Recorded outputs by step id (issue 13; secret values masked). */
  outputs: Record<string, Record<string, string>>;
  /** Child runs of the run's plan steps. */
  children: { run_id: string; step_id: string | null; status: string }[];
}

/** `GET /api/runs/<run_id>/steps/<step_id>`. */
export interface StepDetail {
  run: ApiRun;
  step: ApiStep;
  attempts: ApiAttempt[];
  /** The step's recorded outputs (secret values masked). */
  outputs: Record<string, string>;
  /** A matrix or for_each step: its instances' rows (`instance_of` = the step), in position order; else empty. */
  instances: ApiStep[];
}

/** An item of `GET /api/plans`: a plan id the state directory has runs of. */
export interface ApiPlan {
  plan_id: string;
  /** The plan version of its newest run. */
  plan_version: string;
  runs: number;
  last_run_id: string;
  last_started_at: string;
  last_status: RunStatus;
}

/** `POST /api/runs/<run_id>/resume` body: values of the run's secret variables (masked in runs.db). */
export interface ResumeRequest {
  vars?: Record<string, string>;
}

/** Answer of the two actions. */
export interface ActionResult {
  ok: true;
  message: string;
}

/** Every error answer: `{"error": "..."}` with a 4xx/5xx status. */
export interface ApiError {
  error: string;
}
