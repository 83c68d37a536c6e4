import { describe, expect, it } from 'vitest';
import { instanceBase, instanceIds, MAX_INSTANCE_ID_LENGTH } from '../../src/schema/instance-id.js';
import { MAX_INSTANCES, matrixCombinations, type MatrixSpec } from '../../src/schema/matrix.js';

const combos = (m: unknown) => matrixCombinations(m as MatrixSpec);

describe('matrixCombinations', () => {
  it('is the cartesian product, first axis varying slowest', () => {
    expect(combos({ os: ['linux', 'mac'], py: ['3.11', '3.12'] })).toEqual({
      combinations: [
        { os: 'linux', py: '3.11' },
        { os: 'linux', py: '3.12' },
        { os: 'mac', py: '3.11' },
        { os: 'mac', py: '3.12' },
      ],
    });
  });

  it('removes what an exclude entry matches (partial entries match on the keys they name) and appends includes once', () => {
    const r = combos({ os: ['linux', 'mac'], py: ['3.11', '3.12'], exclude: [{ os: 'mac', py: '3.11' }, { py: '3.12', os: 'linux' }], include: [{ os: 'bsd', py: '3.12' }, { os: 'linux', py: '3.11' }, { os: 'bsd', py: '3.12' }] });
    expect(r).toEqual({ combinations: [{ os: 'linux', py: '3.11' }, { os: 'mac', py: '3.12' }, { os: 'bsd', py: '3.12' }] });
    expect(combos({ os: ['linux', 'mac'], py: ['3.11', '3.12'], exclude: [{ os: 'mac' }] })).toEqual({ combinations: [{ os: 'linux', py: '3.11' }, { os: 'linux', py: '3.12' }] });
  });

  it('an include may stand alone, with keys of its own', () => {
    expect(combos({ include: [{ target: 'x86', extra: 'y' }] })).toEqual({ combinations: [{ target: 'x86', extra: 'y' }] });
  });

  it('an empty product is a problem; so is an exclude naming no axis, and more than 10,000 instances', () => {
    expect(combos({ os: [] })).toEqual({ problem: expect.stringMatching(/no combinations/), at: '' });
    expect(combos({ os: ['a'], exclude: [{ os: 'a' }] })).toEqual({ problem: expect.stringMatching(/no combinations/), at: '' });
    expect(combos({ os: ['a'], exclude: [{ arch: 'x' }] })).toEqual({ problem: expect.stringMatching(/"arch", which is not an axis/), at: '/exclude/0' });
    const values = Array.from({ length: 101 }, (_, i) => String(i));
    expect(combos({ a: values, b: values })).toEqual({ problem: expect.stringMatching(/10201 combinations; at most 10000/), at: '' });
    expect(MAX_INSTANCES).toBe(10_000);
  });
});

describe('instance ids', () => {
  it('show the values: STEP[k=v,…] for combinations and objects, STEP[v] for strings', () => {
    expect(instanceIds('test', [{ os: 'linux', py: '3.11' }, { os: 'mac', py: '3.12' }])).toEqual(['test[os=linux,py=3.11]', 'test[os=mac,py=3.12]']);
    expect(instanceIds('lint', ['a.ts', 'b-c_d.ts'])).toEqual(['lint[a.ts]', 'lint[b-c_d.ts]']);
  });

  it('percent-encode what is unsafe in a file name or a shell word (UTF-8, upper-case hex)', () => {
    const [id] = instanceIds('lint', ['src/main file.ts;rm -rf é']);
    expect(id).toBe('lint[src%2Fmain%20file.ts%3Brm%20-rf%20%C3%A9]');
    expect(id).not.toMatch(/[/ ;]/);
  });

  it('fall back to STEP[#N] for a repeated item or an id that would be too long', () => {
    expect(instanceIds('s', ['a', 'b', 'a'])).toEqual(['s[a]', 's[b]', 's[#2]']);
    const [long] = instanceIds('s', ['x'.repeat(MAX_INSTANCE_ID_LENGTH)]);
    expect(long).toBe('s[#0]');
  });

  it('instanceBase gives the step an instance belongs to', () => {
    expect(instanceBase('test[os=linux,py=3.11]')).toBe('test');
    expect(instanceBase('plain')).toBeNull();
  });
});
