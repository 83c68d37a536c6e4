/**
 * A scrolling list that renders only the rows in view (TanStack Virtual's core), for step
 * tables, timelines and logs of any length. Rows have one fixed height.
 */
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from '@tanstack/virtual-core';
import type { ComponentChildren, Ref } from 'preact';
import { useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';

export interface VirtualListProps {
  count: number;
  rowHeightPx: number;
  /** Height of the scrolling box; the list is shorter when its rows are. */
  maxHeightPx: number;
  renderRow: (index: number) => ComponentChildren;
  /** Receives the virtualizer, to scroll to a row. */
  control?: Ref<Virtualizer<HTMLDivElement, Element> | null>;
  onScroll?: (box: HTMLDivElement) => void;
  class?: string;
  /** Extra content at the top inside the scrolling box (a sticky header). */
  header?: ComponentChildren;
}

export function VirtualList(props: VirtualListProps) {
  const box = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const options = {
    count: props.count,
    getScrollElement: () => box.current,
    estimateSize: () => props.rowHeightPx,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    overscan: 8,
    // The rows start below the header, inside the same scrolling box.
    scrollMargin: props.header ? props.rowHeightPx : 0,
    onChange: () => rerender(0),
  };
  const [virtualizer] = useState(() => new Virtualizer<HTMLDivElement, Element>(options));
  virtualizer.setOptions(options);
  useLayoutEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => virtualizer._willUpdate());
  if (props.control && typeof props.control === 'object') props.control.current = virtualizer;
  const headerPx = options.scrollMargin;
  const height = Math.min(props.maxHeightPx, props.count * props.rowHeightPx + headerPx + 2);
  return (
    <div
      ref={box}
      class={`vlist ${props.class ?? ''}`}
      style={{ height: `${height}px` }}
      onScroll={(e) => props.onScroll?.(e.currentTarget)}
    >
      {props.header}
      <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div key={item.key} class="vrow" style={{ position: 'absolute', top: 0, left: 0, right: 0, height: `${item.size}px`, transform: `translateY(${item.start - headerPx}px)` }}>
            {props.renderRow(item.index)}
          </div>
        ))}
      </div>
    </div>
  );
}
