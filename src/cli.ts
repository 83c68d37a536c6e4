#!/usr/bin/env node
/**
 * The `engine` command line: wires commander to the commands in src/commands. Each command
 * module is imported only when that command runs, so `engine --version` loads neither Ajv nor
 * SQLite.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { packagePath } from './package-root.js';
import { reportError, setErrorContext } from './commands/report-error.js';
import { COLOR_CHOICES } from './commands/console-options.js';
import { OUTPUT_MODES } from './state/sinks/step-output.js';
import type { Shell } from './commands/completion.js';

// A closed pipe (`engine run … | head`) must not kill a run: it keeps running and recording;
// only the printing stops.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

// Argument checks. Each throws a UserError (exit 2) that names the flag or argument and shows
// the value as given: `--limit 1e99: expected an integer from 1 to 10000`.

/** The value as typed, quoted when it is empty or has spaces or quotes. */
function shown(value: string): string {
  return /^[^\s"']+$/.test(value) ? value : JSON.stringify(value);
}

/**
 * A count: plain decimal digits only (no sign, exponent, fraction, hex or spaces: `1e3`,
 * `0x10`, `5.0` and ` 5` are refused rather than guessed at), from `min` to `max`.
 */
function integerIn(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new UserError(`${flag} ${shown(value)}: expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** A path, id or name: anything but empty or only spaces (`--state-dir ""` would mean the
 * current directory). */
function nonEmpty(name: string): (value: string) => string {
  return (value) => {
    if (value.trim() === '') throw new UserError(`${name} ${shown(value)}: must not be empty`);
    return value;
  };
}

/** `--target a,b` (repeatable): every comma-separated step id must be non-empty. */
function targetList(value: string, previous: string[] | undefined): string[] {
  if (value.split(',').some((id) => id.trim() === '')) {
    throw new UserError(`--target ${shown(value)}: empty step id (give step ids separated by commas: --target a,b)`);
  }
  return collect(value, previous);
}

/** Largest `--limit` and `--max-concurrency` (the plan's `max_concurrency` has the same bound). */
const MAX_COUNT = 10_000;
/** Largest `--attempt`: attempt numbers continue across resumes, so they can pass `retries`. */
const MAX_ATTEMPT = 1_000_000;

const program = new Command('engine')
  .description('Runs JSON plans: a DAG of commands with timeouts, retries, failure policies and recorded state.')
  .version(pkg.version, '-v, --version')
  .showHelpAfterError('(run engine --help for usage)')
  .exitOverride();

const varOption = () => new Option('--var <KEY=VALUE>', 'set a plan variable (repeatable)').argParser(collect).default([]);
const varsFileOption = () =>
  new Option('--vars-file <FILE>', 'variable values: a JSON object, or .env lines KEY=VALUE (--var wins; ENGINE_VAR_NAME in the environment comes after); may be a pipe: --vars-file /dev/stdin').argParser(
    nonEmpty('--vars-file'),
  );
const stateDirOption = () =>
  new Option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)').argParser(nonEmpty('--state-dir'));
// Workers (issue 16): the executor flags of `run` and `resume`.
const executorOptions = (command: Command): Command =>
  command
    .option('--redis <URL>', 'send the steps to workers (engine worker) through BullMQ on this Redis (also $ENGINE_REDIS_URL, globals.executor)', nonEmpty('--redis'))
    .option('--queue <NAME>', 'the BullMQ queue of the workers (default: globals.executor.queue, else "engine")', nonEmpty('--queue'))
    .option('--stalled-interval-ms <N>', 'how often the engine checks for lost workers, 10 to 3600000 ms (default 2000)', integerIn('--stalled-interval-ms', 10, 3_600_000))
    .option('--redis-wait-sec <N>', 'how long running steps wait for an unreachable Redis before they fail as lost, 1 to 86400 s (default 300)', integerIn('--redis-wait-sec', 1, 86_400));
/** The console flags of `run` and `resume` (src/commands/console-options.ts). */
function addConsoleOptions(command: Command): Command {
  return command
    .addOption(new Option('-q, --quiet', 'print only failures and the final summary').conflicts('verbose'))
    .addOption(new Option('--verbose', 'also print retry delays, precondition results and skip reasons'))
    .addOption(new Option('--color <WHEN>', 'colour: auto (a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR forces it), always, never').choices(COLOR_CHOICES))
    .addOption(
      new Option('--output <MODE>', "steps' own output on the console, read from their log files: none, prefixed (each line as it comes), grouped (one block per step when it ends), failed (grouped, failed steps only)")
        .choices(OUTPUT_MODES)
        .default('none'),
    );
}
const planArgument = () => new Argument('<plan>', 'plan file (JSON)').argParser(nonEmpty('PLAN'));
const runArgument = () =>
  new Argument('<run>', 'run id, a unique prefix or suffix (the random part) of one, last, last~N (the N-th before last) or last-failed').argParser(nonEmpty('RUN'));

// Environment failures without a path (a full disk, SQLite) are reported naming the state
// directory of the command (src/commands/report-error.ts).
program.hook('preAction', async (_program, command) => {
  if (!command.options.some((o) => o.long === '--state-dir')) return;
  const { resolveStateDir } = await import('./commands/common.js');
  setErrorContext({ stateDir: resolveStateDir(command.opts<{ stateDir?: string }>().stateDir) });
});

addConsoleOptions(
  executorOptions(program.command('run'))
    .description('validate a plan, then run it; exit 0 succeeded, 1 failed, 2 invalid, 3 state directory unusable, 130 cancelled')
    .addArgument(planArgument())
    .addOption(varOption())
    .addOption(varsFileOption())
    .addOption(stateDirOption())
    .option('--max-concurrency <N>', `steps running at once, 1 to ${MAX_COUNT} (overrides the plan)`, integerIn('--max-concurrency', 1, MAX_COUNT))
    .option('--json', 'write the event stream to stdout as JSON lines (console output goes to stderr); with --dry-run, the levels as one JSON object')
    .option('--otel', 'export OpenTelemetry traces and metrics (also on when OTEL_* variables ask for it)')
    .option('--dry-run', 'print the execution order as levels; run nothing, write nothing')
    .addOption(new Option('--target <STEP[,STEP...]>', 'run only these steps and what they depend on (repeatable)').argParser(targetList))
    .addOption(
      new Option('--force [STEP[,STEP...]]', 'run steps with sources even when up to date (all, or these; repeatable)').argParser(
        (value: string, previous: unknown) => (previous === true ? true : targetList(value, Array.isArray(previous) ? (previous as string[]) : undefined)),
      ),
    ),
)
  .action(async (planPath: string, opts) => {
    const { runCommand } = await import('./commands/run.js');
    process.exitCode = await runCommand(planPath, opts);
  });

program
  .command('runs')
  .description('list recent runs, newest first')
  .option('--status <STATUS>', 'only runs with this status (running, succeeded, failed, cancelled, interrupted)')
  .option('--plan <PLAN_ID>', 'only runs of this plan id', nonEmpty('--plan'))
  .option('--since <WHEN>', 'only runs started since: an age (2h, 30d) or a local date (2026-11-01)', nonEmpty('--since'))
  .option('--limit <N>', `at most N runs, 1 to ${MAX_COUNT} (default 20)`, integerIn('--limit', 1, MAX_COUNT))
  .option('--json', 'print JSON instead of a table')
  .addOption(stateDirOption())
  .action(async (opts) => {
    const { runsCommand } = await import('./commands/runs.js');
    process.exitCode = await runsCommand(opts);
  });

program
  .command('show')
  .description('a run and its steps in topological order')
  .addArgument(runArgument())
  .option('--json', 'print JSON instead of a table')
  .addOption(stateDirOption())
  .action(async (runRef: string, opts) => {
    const { showCommand } = await import('./commands/show.js');
    process.exitCode = await showCommand(runRef, opts);
  });

program
  .command('logs')
  .description("print a step's log, or every step's log in order")
  .addArgument(runArgument())
  .addArgument(new Argument('[step]', 'step id (default: all steps)').argParser(nonEmpty('STEP')))
  .option('--attempt <N>', `attempt number, 1 to ${MAX_ATTEMPT} (default: the latest)`, integerIn('--attempt', 1, MAX_ATTEMPT))
  .option('-f, --follow', 'keep printing until the run ends')
  .addOption(stateDirOption())
  .action(async (runRef: string, stepId: string | undefined, opts) => {
    const { logsCommand } = await import('./commands/logs.js');
    process.exitCode = await logsCommand(runRef, stepId, opts);
  });

addConsoleOptions(
  executorOptions(program.command('resume'))
    .description('continue a failed, cancelled or interrupted run in the same run id; succeeded steps are kept')
    .addArgument(runArgument())
    .addOption(varOption())
    .addOption(varsFileOption())
    .option('--force', 'resume even though the plan file changed since the run started')
    .option('--json', 'write the event stream to stdout as JSON lines (console output goes to stderr)')
    .option('--otel', 'export OpenTelemetry traces and metrics')
    .addOption(stateDirOption()),
)
  .action(async (runRef: string, opts) => {
    const { resumeCommand } = await import('./commands/resume.js');
    process.exitCode = await resumeCommand(runRef, opts);
  });

program
  .command('worker')
  .description('carry out the steps that runs send to workers, until SIGINT or SIGTERM (twice: stop the running steps too)')
  .option('--redis <URL>', 'the Redis of the queue, redis://HOST:PORT (default: $ENGINE_REDIS_URL)', nonEmpty('--redis'))
  .option('--concurrency <N>', `steps running at once on this worker, 1 to ${MAX_COUNT} (default 1)`, integerIn('--concurrency', 1, MAX_COUNT))
  .option('--queue <NAME>', 'the BullMQ queue (default "engine")', nonEmpty('--queue'))
  .option('--labels <K=V,...>', 'labels that steps select with runs_on, at most 4: --labels arch=arm64,gpu=1', nonEmpty('--labels'))
  .option('--name <NAME>', 'the worker\'s name in the record (default HOST/PID)', nonEmpty('--name'))
  .option('--work-dir <DIR>', 'local directory for running steps\' logs and pid records (default: $TMPDIR/engine-worker-$USER)', nonEmpty('--work-dir'))
  .option('--lock-duration-ms <N>', 'a worker silent this long is taken for lost, 100 to 3600000 ms (default 5000)', integerIn('--lock-duration-ms', 100, 3_600_000))
  .option('--stalled-interval-ms <N>', 'how often to check for lost workers, 10 to 3600000 ms (default 2000)', integerIn('--stalled-interval-ms', 10, 3_600_000))
  .action(async (opts) => {
    const { workerCommand } = await import('./commands/worker.js');
    process.exitCode = await workerCommand(opts);
  });

program
  .command('cancel')
  .description('ask a live run to cancel, like Ctrl-C in its terminal')
  .addArgument(runArgument())
  .option('--json', 'print {run_id, pid, signal}')
  .addOption(stateDirOption())
  .action(async (runRef: string, opts) => {
    const { cancelCommand } = await import('./commands/cancel.js');
    process.exitCode = await cancelCommand(runRef, opts);
  });

program
  .command('prune')
  .description('delete finished runs (their runs.db rows and directories), all of them or those the flags choose; never a live run')
  .option('--keep <N>', `keep the newest N runs (of --status S, when given), 0 to ${MAX_COUNT * 100}`, integerIn('--keep', 0, MAX_COUNT * 100))
  .option('--older-than <AGE>', 'only runs started more than AGE ago: 90s, 30m, 2h, 30d, 2w', nonEmpty('--older-than'))
  .option('--status <STATUS>', 'only runs with this status (succeeded, failed, cancelled, interrupted)', nonEmpty('--status'))
  .option('--dry-run', 'list what would be deleted; delete nothing')
  .option('--json', 'print JSON: {dry_run, runs, bytes, events}')
  .addOption(stateDirOption())
  .action(async (opts) => {
    const { pruneCommand } = await import('./commands/prune.js');
    process.exitCode = await pruneCommand(opts);
  });

program
  .command('graph')
  .description("print a plan's DAG with each step's policy and trigger rule")
  .addArgument(planArgument())
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
  .addArgument(planArgument())
  .addOption(varOption())
  .addOption(varsFileOption())
  .option('--json', 'print {valid, plan_id, version, steps, unset_variables, problems: [{file, line, column, pointer, message}]}')
  .action(async (planPath: string, opts) => {
    const { validateCommand } = await import('./commands/validate.js');
    process.exitCode = await validateCommand(planPath, opts);
  });

program
  .command('ui')
  .description('serve the live web dashboard of the state directory until Ctrl-C')
  .option('--host <HOST>', 'address to listen on (default 127.0.0.1); beyond loopback every request needs the token', nonEmpty('--host'))
  .option('--port <PORT>', 'port to listen on (default 7788; 0: a free one)', integerIn('--port', 0, 65535))
  .option('--state-dir <DIR>', 'state directory (default: $ENGINE_STATE_DIR or ./state)', nonEmpty('--state-dir'))
  .option('--open', 'open the dashboard in the desktop browser')
  .option('--token <TOKEN>', 'the token for actions (and for every request beyond loopback); default: random', nonEmpty('--token'))
  .action(async (opts) => {
    const { uiCommand } = await import('./ui/ui-command.js');
    process.exitCode = await uiCommand(opts);
  });

program
  .command('version')
  .description('print the version (also: engine -v, engine --version)')
  .action(() => {
    process.stdout.write(`${pkg.version}\n`);
  });

program
  .command('completion')
  .description('print a shell completion script: source <(engine completion bash), or zsh, or fish')
  .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish'] satisfies Shell[]))
  .action(async (shell: Shell) => {
    const { completionCommand } = await import('./commands/completion.js');
    process.exitCode = completionCommand(shell, program);
  });

// For the completion scripts: `last`, `last-failed` and the newest run ids, one a line.
program
  .command('__complete-runs', { hidden: true })
  .addOption(stateDirOption())
  .action(async (opts) => {
    const { completeRunsCommand } = await import('./commands/completion.js');
    process.exitCode = completeRunsCommand(opts);
  });

// `-V` was the version flag before `-v`; it still is.
const argv = process.argv.length === 3 && process.argv[2] === '-V' ? [...process.argv.slice(0, 2), '--version'] : process.argv;

try {
  await program.parseAsync(argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version end with exit code 0; anything else commander rejects is usage.
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    process.exitCode = reportError(err);
  }
}
