import { describe, expect, it } from 'vitest';
import { createMasker, secretVariants } from '../../src/engine/mask.js';
import { Redactor } from '../../src/engine/process/redactor.js';

/** Pushes `text` through a redactor in the given pieces and returns what it wrote. */
function through(secrets: string[], pieces: string[]): string {
  const r = new Redactor(secrets);
  const out = pieces.map((p) => r.push(Buffer.from(p)));
  out.push(r.end());
  return Buffer.concat(out).toString();
}

const SECRET = 's3cr3t-T0ken/value+x';

describe('Redactor', () => {
  it('masks the secret and keeps the text around it intact', () => {
    expect(through([SECRET], [`before ${SECRET} after\n`])).toBe('before *** after\n');
  });

  it('masks a secret written in two pieces, at every split point', () => {
    const text = `a${SECRET}b`;
    for (let cut = 0; cut <= text.length; cut++) {
      expect(through([SECRET], [text.slice(0, cut), text.slice(cut)])).toBe('a***b');
    }
  });

  it('masks a secret written one byte at a time', () => {
    expect(through([SECRET], [...`x ${SECRET} y`])).toBe('x *** y');
  });

  it('masks every occurrence, also back to back', () => {
    expect(through([SECRET], [`${SECRET}${SECRET} and ${SECRET}`])).toBe('****** and ***');
  });

  it('masks the base64 encoding at each alignment inside longer base64 text', () => {
    for (const prefix of ['', 'u', 'us', 'user:']) {
      const b64 = Buffer.from(`${prefix}${SECRET}!`).toString('base64');
      const out = through([SECRET], [`Authorization: Basic ${b64}\n`]);
      expect(out).toContain('***');
      // What is left of the base64 text no longer decodes to anything containing the secret.
      const left = out.replace('Authorization: Basic ', '').replace('***', '');
      expect(Buffer.from(left, 'base64').toString('latin1')).not.toContain(SECRET.slice(2, -2));
    }
  });

  it('masks the URL-encoded and JSON-escaped forms', () => {
    const secret = 'p@ss w/"quote"\\and&more';
    expect(through([secret], [`url=?t=${encodeURIComponent(secret)}&x=1`])).toBe('url=?t=***&x=1');
    expect(through([secret], [`{"t":${JSON.stringify(secret)}}`])).toBe('{"t":"***"}');
  });

  it('masks each line of a multi-line secret, and the whole of it', () => {
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF\n-----END KEY-----';
    expect(through([key], [`${key}\n`])).toBe('***\n');
    expect(through([key], ['line: MIIEvQIBADANBg\n'])).toBe('line: ***\n');
  });

  it('writes everything unchanged when no secret is given', () => {
    const r = new Redactor(['']);
    expect(r.empty).toBe(true);
    expect(Buffer.concat([r.push(Buffer.from('hello')), r.end()]).toString()).toBe('hello');
  });

  it('keeps at most one pattern length of bytes back, whatever the stream length', () => {
    const r = new Redactor([SECRET]);
    let kept = 0;
    for (let i = 0; i < 1000; i++) {
      const chunk = Buffer.alloc(65536, 0x61);
      const out = r.push(chunk);
      kept += chunk.length - out.length;
      expect(kept).toBeLessThan(secretVariants(SECRET).reduce((m, v) => Math.max(m, v.length), 0));
    }
  });
});

describe('the text masker', () => {
  it('masks the secret and its encodings in event text', () => {
    const mask = createMasker([SECRET]);
    expect(mask(`x ${SECRET} ${encodeURIComponent(SECRET)} ${Buffer.from(SECRET).toString('base64')}`)).toBe('x *** *** ***');
  });
});
