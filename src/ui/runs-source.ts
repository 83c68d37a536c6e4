/**
 * The dashboard's one connection to `<state>/runs.db`: read-only (never creates, migrates or
 * recovers anything), opened lazily so the dashboard also starts in a state directory that has
 * no runs.db yet and picks it up once an engine has created it.
 */
import { existsSync } from 'node:fs';
import { runsDbPath } from '../state/store/paths.js';
import { isBusyError, openRunsDb, RunsDbVersionError, type RunsDb } from '../state/store/runs-db.js';
import { Queries } from './queries.js';

export class RunsSource {
  private db: RunsDb | null = null;
  private queries: Queries | null = null;
  readonly path: string;

  constructor(readonly stateDir: string) {
    this.path = runsDbPath(stateDir);
  }

  /**
   * The prepared queries, or null while runs.db does not exist or has no schema yet (an engine
   * is creating it this very moment): callers answer as for an empty state directory.
   */
  current(): Queries | null {
    if (this.queries !== null) return this.queries;
    if (!existsSync(this.path)) return null;
    let db: RunsDb;
    try {
      db = openRunsDb(this.path, { readonly: true });
    } catch (error) {
      // A brand-new file: its creator has not committed the schema yet. Anything else is real.
      if ((error instanceof RunsDbVersionError && error.found === 0) || isBusyError(error)) return null;
      throw error;
    }
    this.db = db;
    this.queries = new Queries(db);
    return this.queries;
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.queries = null;
  }
}
