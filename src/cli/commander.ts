/**
 * commander, for the CLI, loaded through `require` and without `node:child_process`.
 *
 * Why (docs/performance.md, start-up): every start of `warehouse` loads commander, `--help`'s
 * included. Imported as an ES module, Node 20 wraps its CommonJS build (esm.mjs, then
 * cjs-module-lexer over index.js) — about 20 ms here against 9 ms through `require`. And
 * commander's first line requires `node:child_process` (with `net` and the stream modules behind
 * it, ~5 ms) for one thing only: running an *executable* subcommand (`git-style` commands in files
 * of their own), which warehouse has none of. While commander's files are required, that one
 * builtin is handed over as a stand-in that loads the real module on first use, so a program
 * with such a command would still work; nothing else is touched, and the stand-in is gone once
 * commander is loaded. Where Node's module loader cannot be wrapped, commander is required as is.
 *
 * The types are commander's own declarations; the CLI's modules take commander's values from
 * here (and may `import type` from 'commander'), so the process holds one commander.
 */
import { createRequire } from 'node:module';

type Commander = typeof import('commander');
const require = createRequire(import.meta.url);

/** `node:child_process` on first use (commander only reads it to run an executable subcommand). */
const lateChildProcess = new Proxy(
  {},
  {
    get: (_target, key) => Reflect.get(require('node:child_process') as object, key),
    has: (_target, key) => Reflect.has(require('node:child_process') as object, key),
  },
);

function loadCommander(): Commander {
  const loader = require('node:module') as { _load?: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  if (typeof original !== 'function') return require('commander') as Commander;
  loader._load = function (this: unknown, request: string, ...rest: unknown[]) {
    if (request === 'node:child_process' || request === 'child_process') return lateChildProcess;
    return original.call(this, request, ...rest);
  };
  try {
    return require('commander') as Commander;
  } finally {
    loader._load = original;
  }
}

const commander = loadCommander();
export const { Command, CommanderError, Option } = commander;
export type Command = import('commander').Command;
export type CommanderError = import('commander').CommanderError;
export type Option = import('commander').Option;
