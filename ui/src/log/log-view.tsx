/**
 * An attempt's log: opened at its end (the last 64 KiB, by a `Range` request, however big the
 * file), earlier parts loaded as you scroll up, new output streamed while the attempt runs
 * (followed while scrolled to the bottom), ANSI colours rendered, only the visible lines in the
 * page (virtualised), and a download link for the whole file.
 */
import type { Virtualizer } from '@tanstack/virtual-core';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { apiPath, getLogRange, withToken } from '../api.js';
import { VirtualList } from '../components/virtual-list.js';
import { ansiToHtml } from './ansi.js';

/** Bytes read per request: the end of the file first, then this much more per scroll to the top. */
const CHUNK_BYTES = 64 * 1024;
const LINE_PX = 18;
const NEWLINE = 0x0a;
/**
 * Lines kept while following a live log; beyond this the oldest are dropped (and loaded again
 * if one scrolls up), so a log that streams for hours does not fill the browser's memory.
 */
const MAX_LINES = 50_000;

interface LogText {
  /** Complete lines, first to last, of the part of the file loaded so far. */
  lines: string[];
  /** Text after the last newline: the line being written. */
  open: string;
  /** Byte offset of the first of {@link lines}. */
  startByte: number;
  /** The bytes before {@link startByte} that were read: the end of a line that starts earlier. */
  head: Uint8Array;
  /** True once the attempt has ended and everything is loaded at the end. */
  ended: boolean;
}

const decoder = new TextDecoder();

/**
 * Splits bytes read from offset `start` at newlines. When `start` > 0 the part before the first
 * newline may be the end of a longer line: it is kept apart as `head` (bytes, so a character cut
 * by the range is whole again once the bytes before it are loaded).
 */
function split(bytes: Uint8Array, start: number): Pick<LogText, 'lines' | 'open' | 'startByte' | 'head'> {
  const cut = start > 0 ? bytes.indexOf(NEWLINE) + 1 : 0;
  const parts = decoder.decode(bytes.subarray(cut)).split('\n');
  const open = parts.pop() ?? '';
  return { lines: parts, open, startByte: start + cut, head: bytes.subarray(0, cut) };
}

const encoder = new TextEncoder();

/** `log` without its oldest lines beyond {@link MAX_LINES} (they start at a later byte now). */
function trimmed(log: LogText): LogText {
  const extra = log.lines.length - MAX_LINES;
  // Trim in steps of a tenth, not on every chunk.
  if (extra < MAX_LINES / 10) return log;
  const dropped = log.lines.slice(0, extra);
  const bytes = dropped.reduce((n, line) => n + encoder.encode(line).length + 1, 0);
  return { ...log, lines: log.lines.slice(extra), startByte: log.startByte + bytes, head: new Uint8Array() };
}

export function LogView({ runId, stepId, attempt }: { runId: string; stepId: string; attempt: number }) {
  const path = apiPath('runs', runId, 'steps', stepId, 'attempts', attempt, 'log');
  const [log, setLog] = useState<LogText | null>(null);
  const [error, setError] = useState<string | null>(null);
  const control = useRef<Virtualizer<HTMLDivElement, Element> | null>(null);
  const following = useRef(true);
  const loadingEarlier = useRef(false);
  /** Rows the last load of earlier text added above: the scroll position moves down by them. */
  const prepended = useRef(0);

  useEffect(() => {
    let source: EventSource | null = null;
    let stopped = false;
    setLog(null);
    setError(null);
    following.current = true;
    getLogRange(path, `bytes=-${CHUNK_BYTES}`)
      .then(({ bytes, start, size }) => {
        if (stopped) return;
        setLog({ ...split(bytes, start), ended: false });
        source = new EventSource(withToken(`${path}/stream?offset=${size}`));
        source.onmessage = (m) => {
          const chunk = JSON.parse(m.data as string) as string;
          setLog((l) => {
            if (l === null) return l;
            const parts = (l.open + chunk).split('\n');
            const open = parts.pop() ?? '';
            const grown = { ...l, lines: parts.length > 0 ? [...l.lines, ...parts] : l.lines, open };
            return following.current ? trimmed(grown) : grown;
          });
        };
        source.addEventListener('end', () => {
          source?.close();
          setLog((l) => (l === null ? l : { ...l, ended: true }));
        });
      })
      .catch((e: unknown) => !stopped && setError((e as Error).message ?? String(e)));
    return () => {
      stopped = true;
      source?.close();
    };
  }, [path]);

  const count = log === null ? 0 : log.lines.length + (log.open === '' ? 0 : 1);
  useLayoutEffect(() => {
    const el = control.current?.scrollElement ?? null;
    if (el === null) return;
    if (prepended.current > 0) {
      el.scrollTop += prepended.current * LINE_PX;
      prepended.current = 0;
    } else if (following.current && count > 0) {
      control.current?.scrollToIndex(count - 1, { align: 'end' });
    }
  }, [count]);

  const loadEarlier = (): void => {
    if (log === null || log.startByte === 0 || loadingEarlier.current) return;
    loadingEarlier.current = true;
    const startByte = log.startByte;
    const end = startByte - log.head.length;
    const from = Math.max(0, end - CHUNK_BYTES);
    getLogRange(path, `bytes=${from}-${end - 1}`)
      .then(({ bytes }) => {
        setLog((l) => {
          // A scroll may have asked again before the page showed the last answer: apply each range once.
          if (l === null || l.startByte !== startByte) return l;
          const joined = new Uint8Array(bytes.length + l.head.length);
          joined.set(bytes);
          joined.set(l.head, bytes.length);
          // The joined bytes end with a newline (the head's), so nothing is left open.
          const s = split(joined, from);
          prepended.current = s.lines.length;
          return { ...l, lines: [...s.lines, ...l.lines], head: s.head, startByte: s.startByte };
        });
      })
      .catch((e: unknown) => setError(String(e)))
      .finally(() => (loadingEarlier.current = false));
  };

  if (error !== null) return <p class="error">{error}</p>;
  if (log === null) return <p class="muted">loading the log…</p>;
  const lineAt = (i: number): string => (i < log.lines.length ? log.lines[i]! : log.open);
  return (
    <div class="log" data-log-ended={String(log.ended)}>
      <div class="log-bar">
        {log.startByte > 0 ? <span class="muted">the end of the log; scroll up for earlier lines</span> : null}
        {!log.ended ? <span class="live">● live</span> : null}
        <a href={withToken(`${path}?download=1`)} download>
          download
        </a>
      </div>
      {count === 0 ? (
        <p class="muted log-empty">(no output{log.ended ? '' : ' yet'})</p>
      ) : (
        <VirtualList
          class="log-lines"
          count={count}
          rowHeightPx={LINE_PX}
          maxHeightPx={Math.max(240, window.innerHeight - 320)}
          control={control}
          onScroll={(el) => {
            following.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 2 * LINE_PX;
            if (el.scrollTop < 3 * LINE_PX) loadEarlier();
          }}
          renderRow={(i) => <div class="log-line" dangerouslySetInnerHTML={{ __html: ansiToHtml(lineAt(i)) || '&nbsp;' }} />}
        />
      )}
    </div>
  );
}
