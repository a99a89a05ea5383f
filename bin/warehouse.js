#!/usr/bin/env node
// The entry point: run the compiled CLI and exit with its code (the only process.exit).
import { main } from '../dist/cli/main.js';

const code = await main(process.argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
process.exitCode = code;
// let stdout drain, then leave even if a handle (a timer, a socket) is still open
process.stdout.write('', () => process.exit(code));
