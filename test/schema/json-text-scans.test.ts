/**
 * The two scans of a JSON file's text besides JSON.parse: duplicate property names (every
 * load) and the first syntax error (when JSON.parse fails). Both must be iterative and agree
 * with JSON.parse on what JSON is.
 */
import { describe, expect, it } from 'vitest';
import { findDuplicateKeys } from '../../src/schema/duplicate-keys.js';
import { findSyntaxError } from '../../src/schema/json-syntax.js';

describe('findDuplicateKeys', () => {
  it('finds nothing in an object whose names all differ', () => {
    expect(findDuplicateKeys('{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}')).toEqual([]);
  });

  it('reports the second occurrence with its pointer and the offset of the first', () => {
    const text = '{"a": 1, "b": 2, "a": 3}';
    expect(findDuplicateKeys(text)).toEqual([{ name: 'a', pointer: '/a', offset: text.lastIndexOf('"a"'), firstOffset: 1 }]);
  });

  it('builds pointers through arrays and through a member whose own name repeats', () => {
    const text = '{"s": [{}, "x", {"k": 1, "k": 2}], "s": {"t": {"u": 1, "u": 2}}}';
    expect(findDuplicateKeys(text).map((d) => d.pointer)).toEqual(['/s/2/k', '/s', '/s/t/u']);
  });

  it('compares names after unescaping them', () => {
    expect(findDuplicateKeys('{"ab": 1, "a\\u0062": 2}').map((d) => d.name)).toEqual(['ab']);
    expect(findDuplicateKeys('{"a\\"b": 1, "a\\"b": 2, "a\\\\": 3}').map((d) => d.name)).toEqual(['a"b']);
  });

  it('does not mistake string values, even ones that look like names, for names', () => {
    expect(findDuplicateKeys('{"a": "a", "b": ["a", "a"], "c": "\\"a\\": 1"}')).toEqual([]);
  });

  it('finds a repeat among many names (looked up in a map past 16 names)', () => {
    const names = Array.from({ length: 500 }, (_, i) => `"k${i}": ${i}`);
    const text = `{${names.join(', ')}, "k250": 0}`;
    expect(findDuplicateKeys(text)).toEqual([{ name: 'k250', pointer: '/k250', offset: text.lastIndexOf('"k250"'), firstOffset: text.indexOf('"k250"') }]);
  });

  it('reports every further occurrence, each against the first', () => {
    const text = '{"a": 1, "a": 2, "a": 3}';
    expect(findDuplicateKeys(text).map((d) => [d.offset, d.firstOffset])).toEqual([
      [9, 1],
      [17, 1],
    ]);
  });

  it('handles 100,000 levels of nesting', () => {
    const depth = 100_000;
    const text = `${'{"a": '.repeat(depth)}{"x": 1, "x": 2}${'}'.repeat(depth)}`;
    const found = findDuplicateKeys(text);
    expect(found).toHaveLength(1);
    expect(found[0]!.pointer).toBe(`${'/a'.repeat(depth)}/x`);
  });
});

describe('findSyntaxError', () => {
  it('finds nothing in valid JSON', () => {
    for (const text of ['{}', '[]', '0', '-1.5e+3', '"\\u00e9\\n"', ' {"a": [true, false, null, {}]} ']) {
      expect(findSyntaxError(text)).toBeUndefined();
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it.each([
    ['{"a": }', 6, "expected a value, got '}'"],
    ['{"a": 1,}', 8, 'expected a property name in double quotes (a trailing comma is not allowed)'],
    ['[1, 2,]', 6, 'expected a value (a trailing comma is not allowed)'],
    ['{"a" 1}', 5, "expected ':' after property name"],
    ['{"a": 1 "b": 2}', 8, "expected ',' or '}' after property value"],
    ['[1 2]', 3, "expected ',' or ']' after array element"],
    ["{'a': 1}", 1, 'expected a property name in double quotes (not single quotes)'],
    ['{"a": 01}', 6, 'invalid number "01"'],
    ['{"a": NaN}', 6, 'NaN is not a JSON value (JSON has no NaN; use a number, a string or null)'],
    ['// note\n{}', 0, 'comments are not allowed in JSON'],
    ['{} {}', 3, 'unexpected text after the end of the JSON value'],
    ['"a\\x"', 2, 'invalid escape sequence "\\\\x"'],
    ['"a\tb"', 2, 'control character U+0009 in a string (write it as an escape such as \\n or \\u0001)'],
    ['{"a": "b', 6, 'unterminated string (no closing double quote)'],
  ])('locates the error in %j', (text, offset, message) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(findSyntaxError(text)).toEqual({ offset, message });
  });

  it('reports an empty text as empty', () => {
    expect(findSyntaxError(' \n')).toEqual({ offset: 2, message: 'the file is empty (expected a JSON value)' });
  });

  it('reports 100,000 unclosed brackets at the end, naming the innermost one', () => {
    const text = `{"a":\n${'['.repeat(100_000)}`;
    expect(findSyntaxError(text)).toEqual({
      offset: text.length,
      message: "unexpected end of the file: expected ']' for the '[' at line 2, column 100000 (100001 brackets are open)",
    });
  });
});
