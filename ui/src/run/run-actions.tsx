/**
 * Cancel and resume, as `engine cancel` and `engine resume` do them (the server runs them).
 * Resume asks first for the values of the run's secret variables: runs.db holds them as `***`.
 */
import { useState } from 'preact/hooks';
import { apiPath, post } from '../api.js';
import { runHref } from '../router.js';
import { canCancel, canResume, secretVariables } from '../../../src/ui/action-rules.js';
import type { ActionResult, ApiRun } from '../types.js';

export function RunActions({ run }: { run: ApiRun }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [asking, setAsking] = useState(false);
  const act = async (action: 'cancel' | 'resume', body: unknown = {}): Promise<void> => {
    setBusy(true);
    setMessage(null);
    try {
      const result = await post<ActionResult>(apiPath('runs', run.run_id, action), body);
      setMessage({ ok: true, text: result.message });
      setAsking(false);
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  if (run.parent_run_id !== null) {
    // Its engine is the parent's: the parent is what cancel and resume act on (the server refuses them here).
    return (
      <div class="actions">
        <span class="muted child-note">
          A child run: cancel or resume it through its parent run, <a href={runHref(run.parent_run_id)}>{run.parent_run_id}</a> (resuming the parent resumes this run).
        </span>
      </div>
    );
  }
  const cancellable = canCancel(run);
  const resumable = canResume(run);
  const secrets = resumable ? secretVariables(run.vars_json) : [];
  return (
    <div class="actions">
      {cancellable ? (
        <button type="button" data-action="cancel" disabled={busy} onClick={() => void act('cancel')}>
          {run.cancel_requested_at ? 'Cancel again (cleanup too)' : 'Cancel run'}
        </button>
      ) : null}
      {resumable && !asking ? (
        <button type="button" data-action="resume" disabled={busy} onClick={() => (secrets.length > 0 ? setAsking(true) : void act('resume'))}>
          Resume run
        </button>
      ) : null}
      {asking ? (
        <form
          class="secrets"
          onSubmit={(e) => {
            e.preventDefault();
            const data = new FormData(e.currentTarget);
            void act('resume', { vars: Object.fromEntries(secrets.map((n) => [n, String(data.get(n) ?? '')])) });
          }}
        >
          <span>Secret variables are not recorded; give them again:</span>
          {secrets.map((n) => (
            <label key={n}>
              {n} <input type="password" name={n} autocomplete="off" required />
            </label>
          ))}
          <button type="submit" data-action="resume-submit" disabled={busy}>
            Resume
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            Back
          </button>
        </form>
      ) : null}
      {message ? <span class={message.ok ? 'action-ok' : 'action-error'} role="status">{message.text}</span> : null}
    </div>
  );
}
