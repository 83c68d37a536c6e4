/**
 * The `pattern` of a declared variable: an ECMAScript regular expression, compiled with no
 * flags and unanchored (`pattern: "^[a-z]+$"` to match the whole value), tested with
 * `RegExp.prototype.test`.
 */

/**
 * Compiles a variable pattern. Returns the SyntaxError (rather than throwing it) when the
 * pattern is not a valid regular expression. The schema's `"format": "regex"` uses this too,
 * so the schema check and the value check agree.
 */
export function compileVarPattern(pattern: string): RegExp | SyntaxError {
  try {
    return new RegExp(pattern);
  } catch (err) {
    return err instanceof SyntaxError ? err : new SyntaxError(String(err));
  }
}
