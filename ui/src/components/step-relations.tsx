import type { AnchorHTMLAttributes } from 'preact';
import { runHref } from '../router.js';
import type { ApiStep } from '../types.js';

/** Attributes of the link to an instance's group. */
export type GroupLink = AnchorHTMLAttributes & { 'data-link'?: string };

/**
 * A step's links to other steps and runs (inside a `<dl>`): the group an instance belongs to,
 * and the child run of a plan step. `groupLink` gives the group link's attributes: the run page
 * selects the group in place, the step page links to the group's page.
 */
export function StepRelations({ step, groupLink }: { step: ApiStep; groupLink: (groupId: string) => GroupLink }) {
  return (
    <>
      {step.instance_of !== null ? (
        <>
          <dt>instance of</dt>
          <dd>
            <a {...groupLink(step.instance_of)}>{step.instance_of}</a>
          </dd>
        </>
      ) : null}
      {step.kind === 'plan' ? (
        <>
          <dt>child run</dt>
          <dd>
            {step.child_run_id !== null ? (
              <a class="mono" data-link="child-run" href={runHref(step.child_run_id)}>
                {step.child_run_id}
              </a>
            ) : (
              <span class="muted">not started yet</span>
            )}
          </dd>
        </>
      ) : null}
    </>
  );
}
