/**
 * A step's recorded outputs (what it wrote to ENGINE_OUTPUT) as a key/value table. Values come
 * masked from the server (a secret in them, or a `secret_outputs` key, is `***`); the page
 * never has the real value. A long value shows its start, the rest on request.
 */
import { useState } from 'preact/hooks';
import type { ApiStep } from '../types.js';

/** Characters of a value shown before "show all". */
const SHOWN_CHARS = 2000;

function Value({ value }: { value: string }) {
  const [all, setAll] = useState(false);
  const masked = value.includes('***');
  const cut = !all && value.length > SHOWN_CHARS;
  return (
    <td class={`output-value mono${masked ? ' masked' : ''}`} title={masked ? 'masked: the value holds a secret' : undefined}>
      {cut ? `${value.slice(0, SHOWN_CHARS)}…` : value}
      {cut ? (
        <>
          {' '}
          <button type="button" class="link" onClick={() => setAll(true)}>
            show all {value.length.toLocaleString()} characters
          </button>
        </>
      ) : null}
    </td>
  );
}

export function OutputsTable({ step, outputs }: { step: ApiStep; outputs: Record<string, string> | undefined }) {
  const entries = Object.entries(outputs ?? {});
  if (entries.length === 0) {
    const why =
      step.status === 'succeeded'
        ? 'It wrote no outputs.'
        : step.status === 'pending' || step.status === 'running' || step.status === 'waiting'
          ? 'Outputs are recorded when the step succeeds.'
          : 'No outputs: only a step that succeeds records them.';
    return <p class="outputs-none muted">{why}</p>;
  }
  const group = step.kind === 'matrix' || step.kind === 'for_each';
  return (
    <>
      {group ? <p class="muted">Each value is a JSON array of its instances' values, in instance order (null: an instance wrote none).</p> : null}
      <table class="outputs" data-step-id={step.step_id}>
        <thead>
          <tr>
            <th>key</th>
            <th>value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k} data-output-key={k}>
              <td class="output-key mono">{k}</td>
              <Value value={v} />
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
