import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);

// ../../work/main/src/engine/mask.ts
function planMasker(plan) {
  return createMasker(plan.secretNames.map((n) => plan.vars[n] ?? ""));
}
function createMasker(secretValues) {
  const values = [...new Set(secretValues.filter((v) => v.length > 0))].sort(
    (a, b) => b.length - a.length
  );
  if (values.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const v of values) {
      if (out.includes(v)) out = out.split(v).join("***");
    }
    return out;
  };
}

// ../../work/main/src/engine/planned-steps.ts
function plannedSteps(plan) {
  return plan.order.map((i) => {
    const s = plan.steps[i];
    return {
      id: s.id,
      name: s.name,
      depends_on: s.dependsOn.map((d) => plan.steps[d].id),
      trigger_rule: s.triggerRule,
      on_failure: s.onFailure,
      critical: s.critical
    };
  });
}

export {
  planMasker,
  plannedSteps
};
