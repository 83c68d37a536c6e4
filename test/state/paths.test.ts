import { describe, expect, it } from 'vitest';
import { eventsPath, logsDir, runDir, runsDbPath, stepLogPath } from '../../src/state/store/paths.js';

describe('state paths', () => {
  it('places runs.db, events.jsonl and attempt logs under the state directory', () => {
    expect(runsDbPath('/s')).toBe('/s/runs.db');
    expect(runDir('/s', 'r1')).toBe('/s/runs/r1');
    expect(eventsPath('/s', 'r1')).toBe('/s/runs/r1/events.jsonl');
    expect(logsDir('/s', 'r1')).toBe('/s/runs/r1/logs');
    expect(stepLogPath('/s', 'r1', 'build.x', 2)).toBe('/s/runs/r1/logs/build.x.2.log');
  });

  it('rejects a relative state directory', () => {
    expect(() => runsDbPath('state')).toThrow(/absolute/);
  });

  it('rejects run and step ids that are not a single file name', () => {
    expect(() => runDir('/s', '../x')).toThrow(/run id/);
    expect(() => runDir('/s', '..')).toThrow(/run id/);
    expect(() => stepLogPath('/s', 'r1', 'a/b', 1)).toThrow(/step id/);
    expect(() => stepLogPath('/s', 'r1', 'a', 0)).toThrow(/attempt/);
  });
});
