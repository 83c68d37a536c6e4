/** Option handling shared by the commands. */
import { resolve } from 'node:path';

/** `--var` and `--vars-file`, as commander hands them over. */
export interface VarOptions {
  var: string[];
  varsFile?: string;
}

/** The absolute state directory: `--state-dir`, else $ENGINE_STATE_DIR, else ./state. */
export function resolveStateDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.ENGINE_STATE_DIR ?? 'state');
}
