import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  planMasker,
  plannedSteps
} from "./chunk-TTIGGALI.mjs";
import {
  loadPlanToInspect
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  reportError
} from "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";

// ../../work/main/src/query/graph-format.ts
function planGraph(plan, mask) {
  return {
    plan_id: plan.planId,
    version: plan.version,
    steps: plannedSteps(plan).map((s, k) => ({ ...s, command: mask(plan.steps[plan.order[k]].command) }))
  };
}
function labelLines(s) {
  return [
    s.name === s.id ? s.id : `${s.id}: ${s.name}`,
    `on_failure: ${s.on_failure}, ${s.critical ? "critical" : "not critical"}`,
    `trigger: ${s.trigger_rule}`
  ];
}
function graphEdges(g) {
  return g.steps.flatMap((s) => s.depends_on.map((d) => [d, s.id]));
}
function mermaidId(stepId) {
  let out = "s_";
  for (const ch of stepId) {
    if (/[A-Za-z0-9]/.test(ch)) out += ch;
    else if (ch === "_") out += "__";
    else out += `_${ch.codePointAt(0).toString(16).padStart(2, "0")}`;
  }
  return out;
}
function mermaidText(text) {
  return text.replace(/[#"<>&]/g, (c) => `#${c.codePointAt(0)};`).replace(/\r?\n/g, "<br/>");
}
function toMermaid(g) {
  const lines = ["flowchart TD"];
  lines.push(`  %% plan ${mermaidComment(g.plan_id)} ${mermaidComment(g.version)}`);
  for (const s of g.steps) {
    lines.push(`  ${mermaidId(s.id)}["${labelLines(s).map(mermaidText).join("<br/>")}"]`);
  }
  for (const [from, to] of graphEdges(g)) lines.push(`  ${mermaidId(from)} --> ${mermaidId(to)}`);
  const notCritical = g.steps.filter((s) => !s.critical).map((s) => mermaidId(s.id));
  if (notCritical.length > 0) {
    lines.push("  classDef notCritical stroke-dasharray: 5 5");
    lines.push(`  class ${notCritical.join(",")} notCritical`);
  }
  return `${lines.join("\n")}
`;
}
function mermaidComment(text) {
  return text.replace(/[\r\n]+/g, " ");
}
function dotString(text) {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}
function toDot(g) {
  const lines = [`digraph ${dotString(g.plan_id)} {`];
  lines.push(`  label=${dotString(`${g.plan_id} ${g.version}`)};`);
  lines.push("  labelloc=t;");
  lines.push("  rankdir=TB;");
  lines.push('  node [shape=box, fontname="Helvetica"];');
  for (const s of g.steps) {
    const attrs = [`label=${dotString(labelLines(s).join("\n"))}`];
    if (!s.critical) attrs.push("style=dashed");
    lines.push(`  ${dotString(s.id)} [${attrs.join(", ")}];`);
  }
  for (const [from, to] of graphEdges(g)) lines.push(`  ${dotString(from)} -> ${dotString(to)};`);
  lines.push("}");
  return `${lines.join("\n")}
`;
}

// ../../work/main/src/commands/graph.ts
async function graphCommand(planPath, opts) {
  try {
    const plan = loadPlanToInspect(planPath, opts);
    const graph = planGraph(plan, planMasker(plan));
    const text = opts.format === "json" ? `${JSON.stringify(graph, null, 2)}
` : opts.format === "dot" ? toDot(graph) : toMermaid(graph);
    process.stdout.write(text);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
export {
  graphCommand
};
