/** `engine runs`'s table (a pure function of runs.db rows): child runs of plan steps under their parent. */
import { describe, expect, it } from 'vitest';
import { runsTable } from '../../src/commands/runs.js';
import type { RunRow } from '../../src/query/runs-reader.js';

function row(runId: string, startedAt: string, parent: string | null = null): RunRow {
  return {
    run_id: runId,
    plan_id: parent ? 'child' : 'main',
    plan_version: '1',
    plan_path: '/p.json',
    plan_sha256: '0',
    cwd: '/',
    status: 'succeeded',
    exit_code: 0,
    started_at: startedAt,
    finished_at: startedAt,
    duration_ms: 1000,
    vars_json: '{}',
    max_concurrency: 2,
    pid: 1,
    hostname: 'h',
    heartbeat_at: startedAt,
    cancel_requested_at: null,
    steps_total: 1,
    steps_succeeded: 1,
    steps_failed: 0,
    steps_skipped: 0,
    steps_cancelled: 0,
    last_seq: 3,
    finish_reason: null,
    finish_detail: null,
    parent_run_id: parent,
    parent_step_id: parent ? 'deploy' : null,
  };
}

const ids = (table: string) => table.split('\n').slice(1, -1).map((l) => /^\s*\S+(?: \S+)*/.exec(l)![0]);

describe('runsTable', () => {
  it('lists child runs right under their parent, oldest first, indented by depth', () => {
    // Newest first, as listRuns gives them.
    const rows = [row('r3', '2026-12-01T10:00:03Z'), row('c2', '2026-12-01T10:00:02.5Z', 'r1'), row('g1', '2026-12-01T10:00:02.2Z', 'c1'), row('c1', '2026-12-01T10:00:02Z', 'r1'), row('r1', '2026-12-01T10:00:01Z')];
    expect(ids(runsTable(rows))).toEqual(['r3', 'r1', '↳ c1', '  ↳ g1', '↳ c2']);
  });

  it('marks a child run whose parent is not listed, in its own place', () => {
    expect(ids(runsTable([row('c1', '2026-12-01T10:00:02Z', 'gone'), row('r0', '2026-12-01T10:00:00Z')]))).toEqual(['↳ c1', 'r0']);
  });
});
