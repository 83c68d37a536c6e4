/**
 * An attempt's log. `GET …/attempts/<n>/log`: the raw bytes, with `Range` (206) or
 * `?offset=N[&length=M]`; `X-Log-Size` is the file's size at that moment and `?download=1`
 * makes it an attachment. `GET …/attempts/<n>/log/stream?offset=N`: server-sent events with
 * the text appended from byte N on (`id` = the byte offset after the chunk, so a reconnecting
 * browser resumes there), then one `end` event once the attempt has ended and all is sent.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { openStream, queriesOf, type Handler } from '../context.js';
import { HttpError } from '../http-util.js';
import { attemptLog, requestedRange, wholeUtf8Length, type ByteRange } from '../log-file.js';
import { attemptNumber, nonNegativeInt } from './params.js';

/** Bytes per stream message and per read. */
const CHUNK_BYTES = 64 * 1024;

export const rawLog: Handler = (ctx, req, res, [runId, stepId, n], url) => {
  const attempt = attemptNumber(n!);
  const log = attemptLog(ctx.stateDir, queriesOf(ctx), runId!, stepId!, attempt);
  const size = statSync(log.path).size;
  const headers: Record<string, string | number> = {
    'content-type': 'text/plain; charset=utf-8',
    'accept-ranges': 'bytes',
    'cache-control': 'no-store',
    'x-log-size': size,
    'x-attempt-running': String(log.running),
  };
  if (url.searchParams.get('download') === '1') {
    headers['content-disposition'] = `attachment; filename="${runId}-${stepId}.${attempt}.log"`;
  }
  let range: ByteRange = { start: 0, end: size };
  let status = 200;
  const offset = url.searchParams.get('offset');
  if (offset !== null) {
    const start = nonNegativeInt(offset, 'offset', 0);
    if (start > size) throw new HttpError(416, `offset ${start} is past the end of the log (${size} bytes)`);
    const length = nonNegativeInt(url.searchParams.get('length'), 'length', size - start);
    range = { start, end: Math.min(size, start + length) };
  } else {
    const asked = requestedRange(req.headers.range, size);
    if (asked === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    if (asked !== null) {
      range = asked;
      status = 206;
      headers['content-range'] = `bytes ${range.start}-${range.end - 1}/${size}`;
    }
  }
  headers['content-length'] = range.end - range.start;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || range.end === range.start) {
    res.end();
    return;
  }
  // The file may grow meanwhile: `end` pins what the headers promised.
  createReadStream(log.path, { start: range.start, end: range.end - 1 })
    .on('error', () => res.destroy())
    .pipe(res);
};

export const logStream: Handler = (ctx, req, res, [runId, stepId, n], url) => {
  const attempt = attemptNumber(n!);
  const lastEventId = req.headers['last-event-id'];
  let offset = nonNegativeInt(typeof lastEventId === 'string' ? lastEventId : url.searchParams.get('offset'), 'offset', 0);
  const { path } = attemptLog(ctx.stateDir, queriesOf(ctx), runId!, stepId!, attempt);
  const stream = openStream(ctx, req, res);
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const pump = (): void => {
    if (stream.closed) return;
    // Status first, then the file: once the attempt is seen ended, what is read next is final.
    const ended = queriesOf(ctx)?.attemptStatus(runId!, stepId!, attempt) !== 'running';
    const size = fstatSync(fd).size;
    while (offset < size) {
      if (stream.congested) {
        stream.whenDrained(pump);
        return;
      }
      const read = readSync(fd, buf, 0, Math.min(CHUNK_BYTES, size - offset), offset);
      if (read === 0) break;
      // Hold back a split character unless it is the file's very end.
      const atEnd = ended && offset + read >= size;
      const take = atEnd ? read : wholeUtf8Length(buf.subarray(0, read));
      if (take === 0) break;
      offset += take;
      stream.send({ id: offset, data: JSON.stringify(buf.toString('utf8', 0, take)) });
    }
    if (ended && offset >= size) {
      stream.send({ event: 'end', data: JSON.stringify({ offset }) });
      stream.end();
    }
  };
  const unsubscribe = ctx.feed.subscribe({ onTick: pump });
  stream.onClose(() => {
    unsubscribe();
    closeSync(fd);
  });
  pump();
};
