import { describe, expect, it } from 'vitest';
import { parseOutputs, RunValues } from '../../src/engine/outputs.js';

describe('parseOutputs (the ENGINE_OUTPUT format, GitHub’s $GITHUB_OUTPUT)', () => {
  it('reads KEY=VALUE lines, the value being the rest of the line', () => {
    expect(parseOutputs('version=1.2.3\nurl=http://x/?a=b\n')).toEqual({ outputs: { version: '1.2.3', url: 'http://x/?a=b' } });
  });

  it('reads multi-line values between KEY<<DELIM and DELIM, and drops CR line ends', () => {
    expect(parseOutputs('notes<<EOF\r\nline 1\r\n\r\nline 3\r\nEOF\r\nafter=x\n')).toEqual({ outputs: { notes: 'line 1\n\nline 3', after: 'x' } });
  });

  it('keeps empty values, ignores blank lines, and a key written twice keeps its last value', () => {
    expect(parseOutputs('\na=1\nempty=\n\na=2\n')).toEqual({ outputs: { a: '2', empty: '' } });
  });

  it('a line without = fails, naming its 1-based line', () => {
    const r = parseOutputs('ok=1\njust text\n');
    expect(r).toEqual({ error: expect.stringContaining('line 2') });
    expect((r as { error: string }).error).toContain('"just text"');
  });

  it('rejects keys outside ^[A-Za-z_][A-Za-z0-9_]*$', () => {
    expect((parseOutputs('1abc=x') as { error: string }).error).toMatch(/line 1: invalid output name "1abc"/);
    expect((parseOutputs('a-b=x') as { error: string }).error).toMatch(/invalid output name "a-b"/);
    expect((parseOutputs('=x') as { error: string }).error).toMatch(/invalid output name ""/);
  });

  it('an unterminated multi-line value fails at the line that opened it', () => {
    expect((parseOutputs('a=1\nbody<<END\nx\ny\n') as { error: string }).error).toMatch(/line 2: the value of "body" has no closing line "END"/);
    expect((parseOutputs('k<<\n') as { error: string }).error).toMatch(/line 1: .*needs a delimiter/);
  });

  it('"<<" after the first "=" is part of a value', () => {
    expect(parseOutputs('shift=1<<2\n')).toEqual({ outputs: { shift: '1<<2' } });
  });
});

describe('RunValues (what ${steps.ID…} references see)', () => {
  it('gives outputs and statuses of ended steps', () => {
    const v = new RunValues();
    v.ended('build', 'succeeded', { version: '2.0' });
    v.ended('tests', 'failed', null);
    expect(v.lookup({ kind: 'output', step: 'build', key: 'version', fallback: null })).toEqual({ value: '2.0' });
    expect(v.lookup({ kind: 'status', step: 'tests' })).toEqual({ value: 'failed' });
  });

  it('says why an output is missing, and uses the fallback only when written', () => {
    const v = new RunValues();
    v.ended('build', 'succeeded', {});
    v.ended('lint', 'skipped', null);
    expect(v.lookup({ kind: 'output', step: 'build', key: 'version', fallback: null })).toEqual({ missing: expect.stringMatching(/step "build" did not write output "version"/) });
    expect(v.lookup({ kind: 'output', step: 'lint', key: 'n', fallback: null })).toEqual({ missing: expect.stringMatching(/step "lint" was skipped/) });
    expect(v.lookup({ kind: 'output', step: 'lint', key: 'n', fallback: '' })).toEqual({ value: '' });
    expect(v.lookup({ kind: 'output', step: 'lint', key: 'n', fallback: '0' })).toEqual({ value: '0' });
    expect(v.lookup({ kind: 'status', step: 'nope' })).toEqual({ missing: expect.stringMatching(/has not ended/) });
  });

  it('aggregates instances’ outputs as JSON arrays in instance order, null where one wrote none (never last-writer-wins)', () => {
    const v = new RunValues();
    v.ended('t[a]', 'succeeded', { r: 'x', only: '1' });
    v.ended('t[b]', 'failed', null);
    v.ended('t[c]', 'succeeded', { r: 'z' });
    expect(v.aggregate(['t[a]', 't[b]', 't[c]'])).toEqual({ r: '["x",null,"z"]', only: '["1",null,null]' });
  });

  it('names the known instances when a reference names an instance that did not run', () => {
    const v = new RunValues();
    v.expanded('lint', ['lint[a.ts]', 'lint[b.ts]']);
    expect(v.lookup({ kind: 'output', step: 'lint[c.ts]', key: 'k', fallback: null })).toEqual({ missing: expect.stringMatching(/the instances of "lint" are lint\[a\.ts\], lint\[b\.ts\]/) });
  });
});
