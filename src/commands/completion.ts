/**
 * `engine completion bash|zsh|fish`: a shell completion script for commands, their flags
 * (with the values of flags that take a choice), plan files (`*.json`) and run ids. The script
 * is generated from the command line's own definition (commander's commands and options), so
 * it cannot drift from it; run ids come from `engine __complete-runs`, which lists `last`,
 * `last-failed` and the newest run ids of runs.db without recovery or any write.
 */
import type { Argument, Command, Option } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { openRunsDbForReading, using } from '../query/runs-reader.js';
import { resolveStateDir } from './common.js';

export type Shell = 'bash' | 'zsh' | 'fish';

/** Run ids offered for completion, newest first. */
const RUN_IDS = 200;

/** What a command's positional argument completes to. */
type ArgKind = 'plan' | 'run' | 'shell' | 'none';

interface CommandSpec {
  name: string;
  description: string;
  flags: { long: string; short?: string; takesValue: boolean; choices: readonly string[]; description: string; files: boolean }[];
  arg: ArgKind;
}

export function completionCommand(shell: Shell, program: Command): number {
  const specs = commandSpecs(program);
  const script = shell === 'bash' ? bashScript(specs) : shell === 'zsh' ? zshScript(specs) : fishScript(specs);
  process.stdout.write(script);
  return ExitCode.ok;
}

/** `engine __complete-runs`: `last`, `last-failed`, then run ids, one a line. Never fails. */
export function completeRunsCommand(opts: { stateDir?: string }): number {
  const ids = ['last', 'last-failed'];
  try {
    const db = openRunsDbForReading(resolveStateDir(opts.stateDir));
    if (db) {
      using(db, (d) => {
        const rows = d.prepare('SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?').pluck().all(RUN_IDS) as string[];
        ids.push(...rows);
      });
    }
  } catch {
    // Completion offers what it can.
  }
  process.stdout.write(`${ids.join('\n')}\n`);
  return ExitCode.ok;
}

function commandSpecs(program: Command): CommandSpec[] {
  return program.commands
    .filter((c) => !c.name().startsWith('_'))
    .map((c) => ({
      name: c.name(),
      description: c.description(),
      flags: [...c.options, helpOption].map((o: Option) => ({
        long: o.long ?? '',
        ...(o.short ? { short: o.short } : {}),
        takesValue: o.required || o.optional,
        choices: o.argChoices ?? [],
        description: o.description,
        files: /FILE|DIR/.test(o.flags),
      })),
      arg: argKind(c.registeredArguments[0]),
    }));
}

const helpOption = { long: '--help', short: '-h', required: false, optional: false, argChoices: undefined, description: 'show help', flags: '-h, --help' } as unknown as Option;

function argKind(a: Argument | undefined): ArgKind {
  switch (a?.name()) {
    case 'plan':
      return 'plan';
    case 'run':
      return 'run';
    case 'shell':
      return 'shell';
    default:
      return 'none';
  }
}

const words = (list: readonly string[]): string => list.join(' ');

function bashScript(specs: CommandSpec[]): string {
  const cases = specs.map((s) => {
    const valueFlags = s.flags.filter((f) => f.takesValue);
    const prevCases = valueFlags.map((f) => {
      const names = [f.long, f.short].filter(Boolean).join('|');
      const reply = f.choices.length ? `COMPREPLY=( $(compgen -W "${words(f.choices)}" -- "$cur") )` : f.files ? 'COMPREPLY=( $(compgen -f -- "$cur") )' : 'COMPREPLY=()';
      return `        ${names}) ${reply}; return;;`;
    });
    const flagWords = words(s.flags.flatMap((f) => [f.long, ...(f.short ? [f.short] : [])]));
    const positional =
      s.arg === 'plan'
        ? 'COMPREPLY=( $(compgen -f -X "!*.json" -- "$cur") $(compgen -d -S / -- "$cur") )'
        : s.arg === 'run'
          ? 'COMPREPLY=( $(compgen -W "$(_engine_run_ids)" -- "$cur") )'
          : s.arg === 'shell'
            ? 'COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") )'
            : 'COMPREPLY=()';
    return [
      `    ${s.name})`,
      ...(prevCases.length ? ['      case "$prev" in', ...prevCases, '      esac'] : []),
      `      if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "${flagWords}" -- "$cur") ); return; fi`,
      `      ${positional}; return;;`,
    ].join('\n');
  });
  return `# engine completion for bash. Load it with: source <(engine completion bash)
_engine_run_ids() {
  local i args=()
  for ((i = 1; i < \${#COMP_WORDS[@]} - 1; i++)); do
    if [[ "\${COMP_WORDS[i]}" == --state-dir ]]; then args=(--state-dir "\${COMP_WORDS[i+1]}"); fi
  done
  command engine __complete-runs "\${args[@]}" 2>/dev/null
}
_engine() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break;; esac
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W "${words(specs.map((s) => s.name))} --help --version -v" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases.join('\n')}
  esac
}
complete -o filenames -F _engine engine
`;
}

/** zsh runs the bash script through bashcompinit: one definition of the rules. */
function zshScript(specs: CommandSpec[]): string {
  return `#compdef engine
# engine completion for zsh. Load it with: source <(engine completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(specs).replace(/^# engine completion for bash.*\n/, '')}`;
}

function fishScript(specs: CommandSpec[]): string {
  const q = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const lines = [
    '# engine completion for fish. Load it with: engine completion fish | source',
    'function __engine_run_ids',
    '    set -l args',
    '    set -l words (commandline -opc)',
    '    for i in (seq (count $words))',
    '        if test "$words[$i]" = --state-dir; and test (math $i + 1) -le (count $words)',
    '            set args --state-dir $words[(math $i + 1)]',
    '        end',
    '    end',
    '    command engine __complete-runs $args 2>/dev/null',
    'end',
    'complete -c engine -f',
    `complete -c engine -n __fish_use_subcommand -s v -l version -d ${q('print the version')}`,
  ];
  for (const s of specs) {
    lines.push(`complete -c engine -n __fish_use_subcommand -a ${s.name} -d ${q(s.description)}`);
    const when = `-n '__fish_seen_subcommand_from ${s.name}'`;
    for (const f of s.flags) {
      const names = [`-l ${f.long.replace(/^--/, '')}`, ...(f.short ? [`-s ${f.short.replace(/^-/, '')}`] : [])].join(' ');
      const value = !f.takesValue ? '' : f.choices.length ? ` -x -a ${q(words(f.choices))}` : f.files ? ' -r -F' : ' -x';
      lines.push(`complete -c engine ${when} ${names}${value} -d ${q(f.description)}`);
    }
    if (s.arg === 'plan') lines.push(`complete -c engine ${when} -k -a '(__fish_complete_suffix .json)'`);
    if (s.arg === 'run') lines.push(`complete -c engine ${when} -k -a '(__engine_run_ids)'`);
    if (s.arg === 'shell') lines.push(`complete -c engine ${when} -a 'bash zsh fish'`);
  }
  return `${lines.join('\n')}\n`;
}
