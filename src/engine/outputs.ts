/**
 * Step outputs (issue 13): the `ENGINE_OUTPUT` file format and the values a run hands from
 * step to step.
 *
 * Format (GitHub Actions' `$GITHUB_OUTPUT`): one `KEY=VALUE` per line (the value is the rest of
 * the line, `=` included; a trailing `\r` is dropped), or a multi-line value as
 * `KEY<<DELIMITER`, its lines, and a line that is exactly `DELIMITER`. Keys match
 * `^[A-Za-z_][A-Za-z0-9_]*$`; blank lines are ignored; a key written twice keeps its last
 * value. At most {@link MAX_OUTPUT_BYTES} per attempt.
 */
import type { Reference } from '../schema/substitute.js';
import type { RunValue } from '../schema/bind-step.js';
import type { EndedStepStatus } from './status.js';

/** Most bytes of outputs one attempt may write (1 MiB). */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The outputs in `text`, or why it is malformed (naming the 1-based line). */
export function parseOutputs(text: string): { outputs: Record<string, string> } | { error: string } {
  const outputs: Record<string, string> = Object.create(null) as Record<string, string>;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = stripCr(lines[i]!);
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (heredoc !== -1 && (eq === -1 || heredoc < eq)) {
      const key = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!KEY.test(key)) return { error: badKey(i, key) };
      if (delimiter === '') return { error: `line ${i + 1}: "${key}<<" needs a delimiter (KEY<<EOF … EOF)` };
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && stripCr(lines[i]!) !== delimiter; i++) body.push(stripCr(lines[i]!));
      if (i >= lines.length) return { error: `line ${start + 1}: the value of "${key}" has no closing line "${delimiter}"` };
      outputs[key] = body.join('\n');
      continue;
    }
    if (eq === -1) return { error: `line ${i + 1}: expected KEY=VALUE or KEY<<DELIMITER, got ${preview(line)}` };
    const key = line.slice(0, eq);
    if (!KEY.test(key)) return { error: badKey(i, key) };
    outputs[key] = line.slice(eq + 1);
  }
  return { outputs: { ...outputs } };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function badKey(i: number, key: string): string {
  return `line ${i + 1}: invalid output name ${preview(key)} (names match ^[A-Za-z_][A-Za-z0-9_]*$)`;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/**
 * What a run knows about its ended steps, by id: their status and outputs. Feeds
 * `${steps.ID.outputs.KEY}` and `${steps.ID.status}` (bind-step.ts). A matrix or for_each
 * step's outputs are JSON arrays of its instances' values in instance order (null where an
 * instance wrote none), so no instance's value overwrites another's (GitHub Actions' matrix
 * outputs are last-writer-wins).
 */
export class RunValues {
  private readonly statuses = new Map<string, EndedStepStatus>();
  private readonly outputs = new Map<string, Record<string, string>>();
  /** Ids of a for_each step's instances, for a helpful message when a reference names none of them. */
  private readonly instancesOf = new Map<string, readonly string[]>();

  /** Step `id` ended with `status`; `outputs` when it succeeded. */
  ended(id: string, status: EndedStepStatus, outputs: Record<string, string> | null): void {
    this.statuses.set(id, status);
    if (outputs !== null) this.outputs.set(id, outputs);
  }

  /** Outputs recorded for step `id` (a succeeded one), or undefined. */
  outputsOf(id: string): Record<string, string> | undefined {
    return this.outputs.get(id);
  }

  statusOf(id: string): EndedStepStatus | undefined {
    return this.statuses.get(id);
  }

  /** The instances of a for_each step, once expanded. */
  expanded(id: string, instances: readonly string[]): void {
    this.instancesOf.set(id, instances);
  }

  /** The outputs of a matrix / for_each step from its instances' (ids in instance order). */
  aggregate(instanceIds: readonly string[]): Record<string, string> {
    const keys = new Set<string>();
    for (const id of instanceIds) for (const k of Object.keys(this.outputs.get(id) ?? {})) keys.add(k);
    const out: Record<string, string> = {};
    for (const k of keys) out[k] = JSON.stringify(instanceIds.map((id) => this.outputs.get(id)?.[k] ?? null));
    return out;
  }

  /** The value of a reference (its fallback when the output does not exist), or why there is none. */
  lookup(ref: Extract<Reference, { kind: 'output' | 'status' }>): RunValue {
    const status = this.statuses.get(ref.step);
    if (ref.kind === 'status') {
      return status === undefined ? { missing: `step "${ref.step}" has not ended (or does not exist), so \${steps.${ref.step}.status} has no value` } : { value: status };
    }
    const value = this.outputs.get(ref.step)?.[ref.key];
    if (value !== undefined) return { value };
    if (ref.fallback !== null) return { value: ref.fallback };
    const hint = `(write \${steps.${ref.step}.outputs.${ref.key}:-} for an empty value, or put a default after :-)`;
    if (status === undefined) {
      const base = ref.step.slice(0, Math.max(0, ref.step.indexOf('[')));
      const known = this.instancesOf.get(base);
      const also = known ? `; the instances of "${base}" are ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : '';
      return { missing: `step "${ref.step}" did not run${also}, so it has no output "${ref.key}" ${hint}` };
    }
    if (status !== 'succeeded') return { missing: `step "${ref.step}" ${status === 'skipped' ? 'was skipped' : status === 'failed' ? 'failed' : 'was cancelled'}, so it has no output "${ref.key}" ${hint}` };
    return { missing: `step "${ref.step}" did not write output "${ref.key}" ${hint}` };
  }
}
