/** `.env` syntax for vars files (dotenv.ts) and "did you mean" (did-you-mean.ts). */
import { describe, expect, it } from 'vitest';
import { closestName } from '../../src/schema/did-you-mean.js';
import { parseDotenv } from '../../src/schema/dotenv.js';

describe('.env syntax', () => {
  const values = (text: string): Record<string, string> => Object.fromEntries(parseDotenv(text).entries.map((e) => [e.key, e.value]));

  it('reads KEY=VALUE lines with comments, export, spaces and both quotes', () => {
    expect(
      values('# c\n\nexport A=1\nB = two words  # note\nC=\'a # b ${X}\'\nD="x\\ny \\"q\\" \\$HOME"\nE=\nF=a#b\r\n'),
    ).toEqual({ A: '1', B: 'two words', C: 'a # b ${X}', D: 'x\ny "q" $HOME', E: '', F: 'a#b' });
  });

  it('lets quoted values span lines', () => {
    expect(values('KEY="line 1\nline 2"\nNEXT=x\n')).toEqual({ KEY: 'line 1\nline 2', NEXT: 'x' });
  });

  it('reports what is not an assignment, at its offset', () => {
    const text = 'A=1\n2B=x\nC "x"\nD="open\n';
    expect(parseDotenv(text).errors.map((e) => [text.slice(0, e.offset).split('\n').length, e.message.split(':')[0]])).toEqual([
      [2, 'invalid .env line'],
      [3, 'invalid .env line'],
      [4, 'unterminated double-quoted value of D'],
    ]);
  });
});

describe('did you mean', () => {
  it('suggests a close name, and nothing for far or very short ones', () => {
    expect(closestName('depend_on', ['id', 'depends_on', 'command'])).toBe('depends_on');
    expect(closestName('buidl', ['build', 'test'])).toBe('build');
    expect(closestName('Build', ['build'])).toBe('build');
    expect(closestName('deploy', ['build', 'test'])).toBeUndefined();
    expect(closestName('C', ['A', 'B'])).toBeUndefined();
  });
});
