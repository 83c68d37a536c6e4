/**
 * A plan's DAG for `engine graph`: as JSON, as Mermaid (`flowchart TD`) or as Graphviz DOT
 * (`digraph`). Nodes are steps in topological order, labelled with the step's id (and name),
 * its failure policy (`on_failure`, critical) and trigger rule; edges go from a dependency
 * to its dependent.
 */
import type { PlannedStep } from '../engine/events.js';
import { plannedSteps } from '../engine/planned-steps.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';

/** One step in `engine graph --format json`: the step as events announce it, plus its command
 * (the executable, or the script line of a `shell` step) and arguments, variables substituted,
 * secrets masked. */
export type GraphStep = PlannedStep & {
  command: string;
  args: string[];
  /** A for_each step's item list as written (it is expanded at run time), else absent. */
  for_each?: string;
  /** A matrix step's number of instances, else absent. */
  instances?: number;
  /** A plan step's child plan (absolute path), else absent. */
  plan?: string;
};

export interface GraphJson {
  plan_id: string;
  version: string;
  /** In topological order (dependencies first). */
  steps: GraphStep[];
}

/** The plan's graph; `mask` hides secret variable values in commands. */
export function planGraph(plan: ResolvedPlan, mask: (text: string) => string): GraphJson {
  return {
    plan_id: plan.planId,
    version: plan.version,
    steps: plannedSteps(plan).map((s, k) => {
      const step = plan.steps[plan.order[k]!]!;
      const g: GraphStep = { ...s, command: mask(step.command), args: step.args.map(mask) };
      if (step.forEach !== null) g.for_each = mask(step.forEach);
      if (step.kind === 'matrix') g.instances = step.dependsOn.length;
      if (step.subPlan !== null) g.plan = step.subPlan.path;
      return g;
    }),
  };
}

/** The lines of a node label: id (and name when it differs), policy, trigger rule. */
function labelLines(s: GraphStep): string[] {
  const title = s.name === s.id ? s.id : `${s.id}: ${s.name}`;
  if (s.instances !== undefined) return [title, `matrix of ${s.instances} instances`, `on_failure: ${s.on_failure}, ${s.critical ? 'critical' : 'not critical'}`];
  const what = s.for_each !== undefined ? [`for_each: expands at run time over ${s.for_each}`] : s.plan !== undefined ? [`runs plan ${s.plan}`] : [];
  if (s.instance_of !== undefined) return [title, ...what, `instance of ${s.instance_of}`];
  return [title, ...what, `on_failure: ${s.on_failure}, ${s.critical ? 'critical' : 'not critical'}`, `trigger: ${s.trigger_rule}`];
}

/** Every edge `[dependency, dependent]`, in topological order of the dependents. */
export function graphEdges(g: GraphJson): [string, string][] {
  return g.steps.flatMap((s) => s.depends_on.map((d): [string, string] => [d, s.id]));
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/**
 * A Mermaid node id for a step id. Step ids are `[A-Za-z0-9_.-]+`, but `-` and `.` are
 * operators in Mermaid flowcharts and words such as `end` are keywords, so the id is encoded
 * injectively into `[A-Za-z0-9_]`: `_` becomes `__`, any other character `_xx` (its code in
 * hex), and `s_` goes in front.
 */
export function mermaidId(stepId: string): string {
  let out = 's_';
  for (const ch of stepId) {
    if (/[A-Za-z0-9]/.test(ch)) out += ch;
    else if (ch === '_') out += '__';
    else out += `_${ch.codePointAt(0)!.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Text inside a Mermaid `["…"]` label: quotes, `#`, `<`, `>`, `&` as entity codes. */
export function mermaidText(text: string): string {
  return text.replace(/[#"<>&]/g, (c) => `#${c.codePointAt(0)};`).replace(/\r?\n/g, '<br/>');
}

export function toMermaid(g: GraphJson): string {
  const lines = ['flowchart TD'];
  lines.push(`  %% plan ${mermaidComment(g.plan_id)} ${mermaidComment(g.version)}`);
  for (const s of g.steps) {
    lines.push(`  ${mermaidId(s.id)}["${labelLines(s).map(mermaidText).join('<br/>')}"]`);
  }
  for (const [from, to] of graphEdges(g)) lines.push(`  ${mermaidId(from)} --> ${mermaidId(to)}`);
  const notCritical = g.steps.filter((s) => !s.critical).map((s) => mermaidId(s.id));
  if (notCritical.length > 0) {
    lines.push('  classDef notCritical stroke-dasharray: 5 5');
    lines.push(`  class ${notCritical.join(',')} notCritical`);
  }
  return `${lines.join('\n')}\n`;
}

/** A Mermaid `%%` comment ends at the line's end. */
function mermaidComment(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// DOT

/** A DOT double-quoted string: `\` and `"` escaped, newlines as `\n` (a line break in labels). */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

export function toDot(g: GraphJson): string {
  const lines = [`digraph ${dotString(g.plan_id)} {`];
  lines.push(`  label=${dotString(`${g.plan_id} ${g.version}`)};`);
  lines.push('  labelloc=t;');
  lines.push('  rankdir=TB;');
  lines.push('  node [shape=box, fontname="Helvetica"];');
  for (const s of g.steps) {
    const attrs = [`label=${dotString(labelLines(s).join('\n'))}`];
    if (!s.critical) attrs.push('style=dashed');
    lines.push(`  ${dotString(s.id)} [${attrs.join(', ')}];`);
  }
  for (const [from, to] of graphEdges(g)) lines.push(`  ${dotString(from)} -> ${dotString(to)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
