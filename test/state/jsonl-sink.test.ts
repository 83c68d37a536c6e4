import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventsFile, serializeEvent } from '../../src/state/sinks/events-file-sink.js';
import { typicalRun } from '../helpers/event-fixtures.js';
import { tempDirWithCleanup } from '../helpers/temp-dirs.js';

describe('EventsFile', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDirWithCleanup('engine-state-test-')));
  afterEach(() => cleanup());

  it('writes one parseable JSON line per event, in order', () => {
    const path = join(dir, 'events.jsonl');
    const events = typicalRun();
    const sink = new EventsFile(path);
    for (const e of events) sink.append(serializeEvent(e));
    sink.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
  });

  it('has each event in the file as soon as append() returns, before close()', () => {
    const path = join(dir, 'events.jsonl');
    const sink = new EventsFile(path);
    try {
      typicalRun().forEach((e, i) => {
        sink.append(serializeEvent(e));
        const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
        expect(lines).toHaveLength(i + 1);
        expect(JSON.parse(lines[i]!)).toEqual(e);
      });
    } finally {
      sink.close();
    }
  });

  it('creates missing parent directories', () => {
    const path = join(dir, 'runs', 'r1', 'events.jsonl');
    const sink = new EventsFile(path);
    sink.append(serializeEvent(typicalRun()[0]!));
    sink.close();
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(2);
  });

  it('appends to an existing file instead of truncating it', () => {
    const path = join(dir, 'events.jsonl');
    const [first, second] = typicalRun();
    const one = new EventsFile(path);
    one.append(serializeEvent(first!));
    one.close();
    const two = new EventsFile(path);
    two.append(serializeEvent(second!));
    two.close();
    expect(readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([first, second]);
  });

  it('refuses events after close()', () => {
    const sink = new EventsFile(join(dir, 'events.jsonl'));
    sink.close();
    expect(() => sink.append(serializeEvent(typicalRun()[0]!))).toThrow(/closed/);
  });
});
