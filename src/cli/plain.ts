/**
 * What `new Chalk({ level: 0 })` does, without loading chalk: every style leaves the text as it is
 * (`visible` empties it), as chalk does with colour off. Most runs have colour off (a pipe, a
 * file, NO_COLOR, --json's stdout), and chalk's module imports `node:process` and `node:tty`,
 * which made every such start create process.stdin and load `net` (docs/performance.md, start-up).
 * test/cli/plain.test.ts checks it against chalk at level 0, style by style.
 */
import type { ChalkInstance } from 'chalk';

/** chalk's modifiers, foreground and background colours (its `modifierNames` and `colorNames`) */
export const STYLE_NAMES: readonly string[] = [
  ...['reset', 'bold', 'dim', 'italic', 'underline', 'overline', 'inverse', 'hidden', 'strikethrough'],
  ...['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'],
  ...['blackBright', 'gray', 'grey', 'redBright', 'greenBright', 'yellowBright', 'blueBright', 'magentaBright', 'cyanBright', 'whiteBright'],
  ...['bgBlack', 'bgRed', 'bgGreen', 'bgYellow', 'bgBlue', 'bgMagenta', 'bgCyan', 'bgWhite'],
  ...[
    'bgBlackBright',
    'bgGray',
    'bgGrey',
    'bgRedBright',
    'bgGreenBright',
    'bgYellowBright',
    'bgBlueBright',
    'bgMagentaBright',
    'bgCyanBright',
    'bgWhiteBright',
  ],
];
const STYLES = new Set(STYLE_NAMES);
/** chalk's styles that take a colour first: `c.hex('#f80')('text')` */
const MODELS = new Set(['rgb', 'hex', 'ansi256', 'bgRgb', 'bgHex', 'bgAnsi256']);

/** A style (chalk's builder at level 0): its text unchanged, '' once `visible` is in the chain. */
function style(empty: boolean, text: (...parts: unknown[]) => string): ChalkInstance {
  const styled: ChalkInstance = new Proxy(text as unknown as ChalkInstance, {
    get(target, key, receiver) {
      if (key === 'level') return 0;
      if (key === 'visible') return empty ? styled : visible;
      if (typeof key === 'string' && STYLES.has(key)) return empty ? styled : plainStyle;
      if (typeof key === 'string' && MODELS.has(key)) return () => (empty ? styled : plainStyle);
      return Reflect.get(target, key, receiver);
    },
  });
  return styled;
}

// a builder: one part is coerced as chalk does (`'' + part`), several are joined by spaces
const plainStyle = style(false, (...parts) => (parts.length === 1 ? coerce(parts[0]) : parts.join(' ')));
const visible = style(true, () => '');

/** `'' + value`, chalk's coercion of a single argument (valueOf before toString, unlike String()) */
function coerce(value: unknown): string {
  return '' + (value as string);
}

/** The instance itself called (`c('a', 'b')`) joins its arguments, as chalk's does. */
export const PLAIN: ChalkInstance = style(false, (...parts) => parts.join(' '));
