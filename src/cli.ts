#!/usr/bin/env node
/**
 * The `engine` command line: wires commander to the commands in src/commands. Each command
 * module is imported only when that command runs, so `engine --version` loads neither Ajv nor
 * SQLite.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ExitCode } from './exit-codes.js';
import { reportError } from './commands/report-error.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommanderError(ExitCode.usage, 'engine.usage', `--max-concurrency must be an integer >= 1, got "${value}"`);
  return n;
}

const program = new Command('engine')
  .description('Runs JSON plans: a DAG of commands with timeouts, retries, failure policies and recorded state.')
  .version(pkg.version, '-V, --version')
  .showHelpAfterError('(run engine --help for usage)')
  .exitOverride();

const varOption = () => new Option('--var <KEY=VALUE>', 'set a plan variable (repeatable)').argParser(collect).default([]);
const varsFileOption = () => new Option('--vars-file <FILE>', 'JSON object of variable values (--var wins)');

program
  .command('run')
  .description('validate a plan, then run it; exit 0 succeeded, 1 failed, 2 invalid, 130 cancelled')
  .argument('<plan>', 'plan file (JSON)')
  .addOption(varOption())
  .addOption(varsFileOption())
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)')
  .option('--max-concurrency <N>', 'steps running at once (overrides the plan)', positiveInt)
  .action(async (planPath: string, opts) => {
    const { runCommand } = await import('./commands/run.js');
    process.exitCode = await runCommand(planPath, opts);
  });

program
  .command('validate')
  .description('check a plan and its variables without running it; exit 0 valid, 2 invalid')
  .argument('<plan>', 'plan file (JSON)')
  .addOption(varOption())
  .addOption(varsFileOption())
  .action(async (planPath: string, opts) => {
    const { validateCommand } = await import('./commands/validate.js');
    process.exitCode = await validateCommand(planPath, opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version end with exit code 0; anything else commander rejects is usage.
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    process.exitCode = reportError(err);
  }
}
