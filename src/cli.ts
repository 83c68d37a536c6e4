#!/usr/bin/env node
/**
 * The `engine` command line: wires commander to the commands in src/commands. Each command
 * module is imported only when that command runs, so `engine --version` loads neither Ajv nor
 * SQLite.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ExitCode } from './exit-codes.js';
import { packagePath } from './package-root.js';
import { reportError } from './commands/report-error.js';

// A closed pipe (`engine run … | head`) must not kill a run: it keeps running and recording;
// only the printing stops.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1');
  return n;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
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
  .option('--json', 'write the event stream to stdout as JSON lines (console output goes to stderr)')
  .option('--otel', 'export OpenTelemetry traces and metrics (also on when OTEL_* variables ask for it)')
  .option('--dry-run', 'print the execution order as levels; run nothing, write nothing')
  .addOption(new Option('--target <STEP[,STEP...]>', 'run only these steps and what they depend on (repeatable)').argParser(collect))
  .action(async (planPath: string, opts) => {
    const { runCommand } = await import('./commands/run.js');
    process.exitCode = await runCommand(planPath, opts);
  });

program
  .command('runs')
  .description('list recent runs, newest first')
  .option('--status <STATUS>', 'only runs with this status (running, succeeded, failed, cancelled, interrupted)')
  .option('--plan <PLAN_ID>', 'only runs of this plan id')
  .option('--limit <N>', 'at most N runs (default 20)', positiveInt)
  .option('--json', 'print JSON instead of a table')
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)')
  .action(async (opts) => {
    const { runsCommand } = await import('./commands/runs.js');
    process.exitCode = await runsCommand(opts);
  });

program
  .command('show')
  .description('a run and its steps in topological order')
  .argument('<run>', 'run id, a unique prefix of one, or "last"')
  .option('--json', 'print JSON instead of a table')
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)')
  .action(async (runRef: string, opts) => {
    const { showCommand } = await import('./commands/show.js');
    process.exitCode = await showCommand(runRef, opts);
  });

program
  .command('logs')
  .description("print a step's log, or every step's log in order")
  .argument('<run>', 'run id, a unique prefix of one, or "last"')
  .argument('[step]', 'step id (default: all steps)')
  .option('--attempt <N>', 'attempt number (default: the latest)', positiveInt)
  .option('-f, --follow', 'keep printing until the run ends')
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)')
  .action(async (runRef: string, stepId: string | undefined, opts) => {
    const { logsCommand } = await import('./commands/logs.js');
    process.exitCode = await logsCommand(runRef, stepId, opts);
  });

program
  .command('resume')
  .description('continue a failed, cancelled or interrupted run in the same run id; succeeded steps are kept')
  .argument('<run>', 'run id, a unique prefix of one, or "last"')
  .addOption(varOption())
  .addOption(varsFileOption())
  .option('--force', 'resume even though the plan file changed since the run started')
  .option('--json', 'write the event stream to stdout as JSON lines (console output goes to stderr)')
  .option('--otel', 'export OpenTelemetry traces and metrics')
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)')
  .action(async (runRef: string, opts) => {
    const { resumeCommand } = await import('./commands/resume.js');
    process.exitCode = await resumeCommand(runRef, opts);
  });

program
  .command('cancel')
  .description('ask a live run to cancel, like Ctrl-C in its terminal')
  .argument('<run>', 'run id, a unique prefix of one, or "last"')
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)')
  .action(async (runRef: string, opts) => {
    const { cancelCommand } = await import('./commands/cancel.js');
    process.exitCode = await cancelCommand(runRef, opts);
  });

program
  .command('graph')
  .description("print a plan's DAG with each step's policy and trigger rule")
  .argument('<plan>', 'plan file (JSON)')
  .addOption(new Option('--format <FORMAT>', 'output format').choices(['mermaid', 'dot', 'json']).default('mermaid'))
  .addOption(varOption())
  .addOption(varsFileOption())
  .action(async (planPath: string, opts) => {
    const { graphCommand } = await import('./commands/graph.js');
    process.exitCode = await graphCommand(planPath, opts);
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

program
  .command('ui')
  .description('serve the live web dashboard of the state directory until Ctrl-C')
  .option('--host <HOST>', 'address to listen on (default 127.0.0.1); beyond loopback every request needs the token')
  .option('--port <PORT>', 'port to listen on (default 7788; 0: a free one)', portNumber)
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)')
  .option('--open', 'open the dashboard in the desktop browser')
  .option('--token <TOKEN>', 'the token for actions (and for every request beyond loopback); default: random')
  .action(async (opts) => {
    const { uiCommand } = await import('./ui/ui-command.js');
    process.exitCode = await uiCommand(opts);
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
