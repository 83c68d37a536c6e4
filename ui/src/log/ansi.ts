/** ANSI colour codes in log text as HTML (ansi_up: it escapes the text; colours become spans). */
import { AnsiUp } from 'ansi_up';

/** `text` (one line or several) as HTML; colours carry over from line to line within it. */
export function ansiToHtml(text: string): string {
  return new AnsiUp().ansi_to_html(text);
}
