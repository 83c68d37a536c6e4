/**
 * The step table and the timeline follow the run page's selection (one selection shared by
 * the DAG, the table and the timeline): the selected step's group is expanded and its row
 * scrolled into view.
 */
import type { Virtualizer } from '@tanstack/virtual-core';
import type { RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { RunStore } from './run-store.js';

/**
 * Scrolls a virtual list of `store.lines` to the selected step whenever the selection changes.
 * @returns the handle to pass as the list's `control`
 */
export function useFollowSelection(store: RunStore): RefObject<Virtualizer<HTMLDivElement, Element> | null> {
  const control = useRef<Virtualizer<HTMLDivElement, Element> | null>(null);
  const selected = store.selected.value;
  useEffect(() => {
    if (selected === null) return;
    store.reveal(selected);
    const i = store.lines.peek().findIndex((l) => l.id === selected);
    if (i !== -1) control.current?.scrollToIndex(i, { align: 'auto' });
  }, [selected]);
  return control;
}
