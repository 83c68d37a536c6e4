import { groupWord, tallyText, type Tally } from '../run/groups.js';
import type { ApiStep } from '../types.js';

/** A group step's facts line (inside a `<dl>`): "matrix: 4 instances: 3/4 succeeded, 1 failed, tolerated 1". */
export function GroupTally({ step, tally }: { step: ApiStep; tally: Tally }) {
  return (
    <>
      <dt>{groupWord(step)}</dt>
      <dd class="group-tally">
        {tally.total} instance{tally.total === 1 ? '' : 's'}: {tallyText(step, tally)}
      </dd>
    </>
  );
}
