/** ANSI styles of the console, or none (colour is decided once, at the command line). */

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'dim';

const CODES: Record<Colour, number> = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 };

export interface Style {
  paint(colour: Colour, text: string): string;
  bold(text: string): string;
}

export function consoleStyle(color: boolean): Style {
  if (!color) return { paint: (_c, text) => text, bold: (text) => text };
  return {
    paint: (c, text) => `\x1b[${CODES[c]}m${text}\x1b[0m`,
    bold: (text) => `\x1b[1m${text}\x1b[22m`,
  };
}
