#!/usr/bin/env node
// The entry point: run the compiled CLI and exit with its code (the only process.exit).
// dist/ is found next to this file's real path, so a symlink to it (`npm link`, a bin in PATH)
// works from any directory.
import module from 'node:module';

// Node 22.1+ keeps V8's compiled code of every module on disk (os.tmpdir()/node-compile-cache, or
// NODE_COMPILE_CACHE), so a later start skips most compiling; Node 20 has no such cache (the call
// is absent there) and starts as before. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const what = /dist[\\/]cli[\\/]main\.js/.test(error.message) ? 'it is not built (no dist/)' : `a dependency is missing (${error.message.split('\n')[0]})`;
  process.stderr.write(`error: warehouse cannot start: ${what}\nrun \`npm install\` in ${root} (it installs the dependencies and builds dist/)\n`);
  process.exit(1);
}

// stdin only when a command reads it (demo, order create's prompts): making process.stdin opens a
// handle on it (a few ms of every start, `--help`'s included)
const code = await main(process.argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  get stdin() {
    return process.stdin;
  },
  env: process.env,
});
process.exitCode = code;
// let stdout drain, then leave even if a handle (a timer, a socket) is still open
process.stdout.write('', () => process.exit(code));
