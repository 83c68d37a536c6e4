/** Checking query parameters once, at the boundary; handlers trust what these return. */
import { RUN_STATUSES } from '../../engine/status.js';
import type { RunStatus } from '../api-types.js';
import { HttpError } from '../http-util.js';
import type { RunsQuery } from '../queries.js';

export const DEFAULT_RUNS_LIMIT = 50;
export const MAX_RUNS_LIMIT = 500;

/**
 * A non-negative integer parameter, or `fallback` when absent.
 * @throws HttpError 400 when present but not a non-negative integer
 */
export function nonNegativeInt(value: string | null | undefined, name: string, fallback: number): number {
  if (value === null || value === undefined || value === '') return fallback;
  if (!/^\d{1,15}$/.test(value)) throw new HttpError(400, `${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * A boolean parameter: `1`/`true` or `0`/`false`, `fallback` when absent.
 * @throws HttpError 400 otherwise
 */
export function booleanParam(value: string | null, name: string, fallback: boolean): boolean {
  if (value === null || value === '') return fallback;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new HttpError(400, `${name} must be 1, true, 0 or false, got ${JSON.stringify(value)}`);
}

/**
 * `GET /api/runs` parameters: `status`, `plan`, `q`, `limit` (1..500, default 50), `before`,
 * `top_level` (only runs that are no child run), `parent` (only the child runs of that run).
 * @throws HttpError 400 for an unknown status, a bad limit or boolean, or `top_level` with `parent`
 */
export function runsQuery(url: URL): RunsQuery {
  const p = url.searchParams;
  const status = p.get('status') || null;
  if (status !== null && !(RUN_STATUSES as readonly string[]).includes(status)) {
    throw new HttpError(400, `status must be one of ${RUN_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  const limit = nonNegativeInt(p.get('limit'), 'limit', DEFAULT_RUNS_LIMIT);
  if (limit < 1 || limit > MAX_RUNS_LIMIT) throw new HttpError(400, `limit must be between 1 and ${MAX_RUNS_LIMIT}, got ${limit}`);
  const topLevel = booleanParam(p.get('top_level'), 'top_level', false);
  const parentRunId = p.get('parent') || null;
  if (topLevel && parentRunId !== null) throw new HttpError(400, 'top_level and parent exclude each other: child runs are not top-level');
  return {
    status: status as RunStatus | null,
    planId: p.get('plan') || null,
    text: p.get('q') || null,
    beforeRunId: p.get('before') || null,
    topLevel,
    parentRunId,
    limit,
  };
}

/**
 * An attempt number path segment (1-based).
 * @throws HttpError 400 otherwise
 */
export function attemptNumber(segment: string): number {
  if (!/^[1-9]\d{0,8}$/.test(segment)) throw new HttpError(400, `attempt must be an integer >= 1, got ${JSON.stringify(segment)}`);
  return Number(segment);
}
