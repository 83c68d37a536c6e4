import { describe, expect, it } from 'vitest';
import { JsonSource, parseJson, parsePointer, pointer } from '../../src/schema/json-source.js';
import { referencesResolve, substituteVars, type SubstitutionIssue } from '../../src/schema/substitute.js';

describe('json source', () => {
  it('escapes and unescapes JSON pointer tokens', () => {
    expect(pointer('env', 'a/b', 'c~d', 3)).toBe('/env/a~1b/c~0d/3');
    expect(parsePointer('/env/a~1b/c~0d/3')).toEqual(['env', 'a/b', 'c~d', '3']);
    expect(parsePointer('')).toEqual([]);
  });

  it('locates values and property names, with CRLF line endings', () => {
    const text = '{\r\n  "a": {\r\n    "b/c": [10, 20]\r\n  }\r\n}';
    const src = new JsonSource(text);
    expect(src.locate('/a/b~1c/1')).toEqual({ line: 3, column: 17 });
    expect(src.locate('/a/b~1c', 'key')).toEqual({ line: 3, column: 5 });
    expect(src.locate('')).toEqual({ line: 1, column: 1 });
  });

  it('skips strings holding brackets, quotes and backslashes, and unescapes names', () => {
    const text = '{"s": "a]}\\\\\\"[{", "n\\u0061me": {"x": [1, {"y": true}]}, "dup": 1, "dup": [null, "z"]}';
    const src = new JsonSource(text);
    expect(JSON.parse(text)).toMatchObject({ name: { x: [1, { y: true }] } });
    expect(src.locate('/name/x/1/y')).toEqual({ line: 1, column: text.indexOf('true') + 1 });
    expect(src.locate('/name', 'key')).toEqual({ line: 1, column: text.indexOf('"n\\u0061me"') + 1 });
    expect(src.locate('/dup/1')).toEqual({ line: 1, column: text.indexOf('"z"') + 1 });
  });

  it('falls back to the deepest existing ancestor for a pointer past the document', () => {
    const src = new JsonSource('{"a": {"b": 1}}');
    expect(src.locate('/a/missing/x')).toEqual({ line: 1, column: 7 });
  });

  it('reports the offset of a syntax error', () => {
    const result = parseJson('{"a": 1,\n "b" 2}');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(new JsonSource('{"a": 1,\n "b" 2}').positionOfOffset(result.offset)).toEqual({ line: 2, column: 6 });
    expect(result.message).toMatch(/^invalid JSON: /);
  });
});

describe('substituteVars', () => {
  const values = new Map([
    ['A', 'alpha'],
    ['B', ''],
  ]);

  it('returns strings without ${ unchanged', () => {
    expect(substituteVars('plain $A $ {A} $$', values)).toBe('plain $A $ {A} $$');
  });

  it('replaces every reference', () => {
    expect(substituteVars('${A}-${B}-${A}', values)).toBe('alpha--alpha');
  });

  it('writes $${ as ${ and does not substitute after it', () => {
    expect(substituteVars('$${A} ${A} $$${A}', values)).toBe('${A} alpha $${A}');
  });

  it('leaves unknown and malformed references as written and reports them', () => {
    const issues: SubstitutionIssue[] = [];
    expect(substituteVars('${NOPE} ${1x} ${A', values, (i) => issues.push(i))).toBe('${NOPE} ${1x} ${A');
    expect(issues).toEqual([
      { kind: 'unknown', name: 'NOPE', text: '${NOPE}' },
      { kind: 'malformed', text: '${1x}' },
      { kind: 'malformed', text: '${A' },
    ]);
  });

  it('agrees with referencesResolve on whether a string has issues', () => {
    const cases = ['', 'x', '${A}', '$${NOPE}', '$$${A}', '$$${NOPE}', '${A}${B}', '${NOPE}', '${A', '${}', '${1}', 'a$${', '${A}$${x-y}'];
    for (const text of cases) {
      let issues = 0;
      substituteVars(text, values, () => issues++);
      expect([text, referencesResolve(text, values)]).toEqual([text, issues === 0]);
    }
  });
});
