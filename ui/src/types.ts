/** The API's JSON shapes: one definition, shared with the server (src/ui/api-types.ts). */
export type {
  ActionResult,
  ApiAttempt,
  ApiPlan,
  ApiRun,
  ApiStep,
  AttemptStatus,
  EngineEvent,
  RunDetail,
  RunsPage,
  RunStatus,
  StepDetail,
  StepStatus,
} from '../../src/ui/api-types.js';
