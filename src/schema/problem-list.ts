/**
 * Collects problems while a plan is loaded, without positions; {@link ProblemList.toProblems}
 * adds line:column afterwards, only when there is something to report (positions cost a parse
 * tree of the whole file, which the happy path must not build).
 */
import { JsonSource, type PositionTarget } from './json-source.js';
import type { Problem } from './problems.js';

/** File label of problems in command-line arguments (`--var`, `--max-concurrency`). */
export const COMMAND_LINE = '<command line>';
/** File label of problems in values from the environment (`ENGINE_VAR_NAME`). */
export const ENVIRONMENT = '<environment>';

/** A problem before its position is known. */
export interface PendingProblem {
  /** File label as the user gave it (or {@link COMMAND_LINE}). */
  file: string;
  /** JSON pointer into that file; '' for the whole file. */
  pointer: string;
  message: string;
  /** 'value' (default): position of the value; 'key': of the member's property name;
   * 'none': no position (e.g. file not found); or an explicit 0-based offset (syntax errors). */
  at?: PositionTarget | 'none' | { offset: number };
}

/** An ordered list of pending problems plus the texts needed to position them. Never throws. */
export class ProblemList {
  readonly items: PendingProblem[] = [];
  private readonly sources = new Map<string, JsonSource>();
  private readonly fileRank = new Map<string, number>([[COMMAND_LINE, 0]]);

  /** Registers the text of `file` so its problems get line:column. Also fixes report order:
   * command line first, then files in registration order. */
  addSource(file: string, source: JsonSource): void {
    this.sources.set(file, source);
    this.rankOf(file);
  }

  /** The registered source of `file`, if any. */
  source(file: string): JsonSource | undefined {
    return this.sources.get(file);
  }

  /** Appends a problem (its position is computed by {@link toProblems}). */
  add(problem: PendingProblem): void {
    this.rankOf(problem.file);
    this.items.push(problem);
  }

  /** Number of problems so far. */
  get length(): number {
    return this.items.length;
  }

  /**
   * Positions every problem and orders them: by file (command line, then files in the order
   * they were registered), then by line:column; problems without a position come first within
   * their file. Stable otherwise.
   */
  toProblems(): Problem[] {
    const located = this.items.map((p, seq) => {
      const out: Problem = { file: p.file, pointer: p.pointer, message: p.message };
      const src = this.sources.get(p.file);
      const at = p.at ?? 'value';
      if (src && at !== 'none') {
        const pos = typeof at === 'object' ? src.positionOfOffset(at.offset) : src.locate(p.pointer, at);
        if (pos) {
          out.line = pos.line;
          out.column = pos.column;
        }
      }
      return { out, seq, rank: this.fileRank.get(p.file) ?? 0 };
    });
    located.sort(
      (a, b) =>
        a.rank - b.rank ||
        (a.out.line ?? 0) - (b.out.line ?? 0) ||
        (a.out.column ?? 0) - (b.out.column ?? 0) ||
        a.seq - b.seq,
    );
    return located.map((l) => l.out);
  }

  private rankOf(file: string): number {
    let r = this.fileRank.get(file);
    if (r === undefined) {
      r = this.fileRank.size;
      this.fileRank.set(file, r);
    }
    return r;
  }
}
