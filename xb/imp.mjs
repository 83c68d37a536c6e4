const t0 = performance.now();
const mods = process.argv.slice(2);
for (const m of mods) { const a = performance.now(); await import(m); process.stdout.write(`${m.replace('/work/main/','')} ${(performance.now() - a).toFixed(1)}  `); }
console.log('total', (performance.now() - t0).toFixed(1));
