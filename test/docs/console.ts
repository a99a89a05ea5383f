/**
 * Runs the ```console blocks of a Markdown file as a test: each `$ command` in order, in one fresh
 * directory (so a fresh ./warehouse.db), and compares what it prints with the lines the document
 * shows under it. This is what "following the README literally" gives on a fresh clone.
 *
 * The rules a document follows (docs/decisions.md has the reasons):
 * - A command is a line starting with `$ `; a line ending in `\` continues it. The lines after it,
 *   up to the next command or the end of the block, are its output (stdout and stderr as a
 *   terminal shows them; trailing spaces and blank lines at the end do not count).
 * - Commands run in bash, in a fresh directory holding symlinks to the clone's files (its
 *   `scenarios/`, `docs/`, …) but no database. `npx warehouse` (and `warehouse`) run the clone's own
 *   bin/warehouse.js, never the registry's package. The environment is clean of WAREHOUSE_*,
 *   with NO_COLOR=1.
 * - Volatile parts are masked on both sides before comparing: dates, times of day, ISO-8601
 *   timestamps, sub-second durations (`0.016s`) and UUIDs (digits become `#`).
 * - `…` alone on a line stands for any number of lines (none included); `…` inside a line for any
 *   text.
 * - A command whose shown output ends with a line containing `Ctrl-C to stop` (serve, work) is
 *   started in the background: its stdout must show the lines given, then it runs until the end
 *   of the document and gets SIGINT. Ports: the server listens on a free port (WAREHOUSE_PORT=0);
 *   the port the document shows (3000) is replaced by the real one in later commands, and back
 *   in their output.
 * - An HTML comment on the line before a block changes how it runs:
 *   `<!-- console-test: skip -->` does not run it (say why next to it);
 *   `<!-- console-test: eventually -->` runs it again until it matches, for up to 15 s (for a
 *   read-only block that shows a state reached a moment later, like an order reserved 1 s on).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'warehouse.js');
const BACKGROUND = /Ctrl-C to stop/;
const COMMAND_TIMEOUT_MS = 60_000;
const EVENTUALLY_MS = 15_000;

export interface Command {
  /** 1-based line of the `$` in the file */
  line: number;
  cmd: string;
  expected: string[];
}

export interface Block {
  line: number;
  directive: 'skip' | 'eventually' | null;
  commands: Command[];
}

export interface Mismatch {
  where: string;
  cmd: string;
  expected: string;
  actual: string;
}

/** The ```console blocks of a Markdown text, with their commands and expected output. */
export function parseConsoleBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})console\s*$/.exec(lines[i]!);
    if (!fence) continue;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const d = before >= 0 ? /^<!--\s*console-test:\s*(\w+)\s*-->$/.exec(lines[before]!.trim()) : null;
    if (d && d[1] !== 'skip' && d[1] !== 'eventually') throw new Error(`line ${before + 1}: unknown console-test directive "${d[1]}" (skip or eventually)`);
    const block: Block = { line: i + 1, directive: (d?.[1] as Block['directive']) ?? null, commands: [] };
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith(fence[1]!); j++) {
      const text = lines[j]!;
      if (text.startsWith('$ ')) {
        const command: Command = { line: j + 1, cmd: text.slice(2), expected: [] };
        while (command.cmd.endsWith('\\') && j + 1 < lines.length) command.cmd = `${command.cmd.slice(0, -1)}\n${lines[++j]}`;
        block.commands.push(command);
      } else if (block.commands.length === 0) {
        if (text.trim() !== '') throw new Error(`line ${j + 1}: a console block starts with a "$ " command`);
      } else {
        block.commands.at(-1)!.expected.push(text);
      }
    }
    i = j;
    blocks.push(block);
  }
  return blocks;
}

const digits = (s: string) => s.replace(/\d/g, '#');
const hex = (s: string) => s.replace(/[0-9a-f]/gi, '#');

/** Masks what changes from run to run: dates, times, sub-second durations, UUIDs. */
export function mask(line: string): string {
  return (
    line
      .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, digits)
      .replace(/\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\b/g, digits)
      .replace(/\b\d\d:\d\d:\d\d\.\d{3}\b/g, digits)
      .replace(/\b0\.\d{3}s\b/g, digits)
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, hex)
      // the database's identity in supplier keys and refs (docs/design.md §5.2): random per database
      .replace(/\b(order-\d+\.)[0-9a-f]{16}\b/g, (_, key: string) => `${key}${'#'.repeat(16)}`)
  );
}

/** Lines as compared: masked, trailing spaces and trailing blank lines dropped. */
export function normalise(lines: string[]): string[] {
  const out = lines.map((l) => mask(l.trimEnd()));
  while (out.length && out.at(-1) === '') out.pop();
  return out;
}

const ELLIPSIS = '…';
const lineMatches = (expected: string, actual: string) =>
  expected.includes(ELLIPSIS)
    ? new RegExp(
        `^${expected
          .split(ELLIPSIS)
          .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
        's',
      ).test(actual)
    : expected === actual;

/** Whether the actual lines match the expected ones, `…` lines standing for any lines. */
export function matches(expected: string[], actual: string[]): boolean {
  const go = (e: number, a: number): boolean => {
    if (e === expected.length) return a === actual.length;
    if (expected[e] === ELLIPSIS) {
      for (let k = a; k <= actual.length; k++) if (go(e + 1, k)) return true;
      return false;
    }
    return a < actual.length && lineMatches(expected[e]!, actual[a]!) && go(e + 1, a + 1);
  };
  return go(0, 0);
}

/** A fresh directory that looks like the clone (symlinks), with no database in it. */
function freshClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-docs-'));
  for (const name of readdirSync(ROOT)) {
    if (name === '.git' || /\.db(-wal|-shm|-journal)?$/.test(name) || name.startsWith('.vitest')) continue;
    symlinkSync(join(ROOT, name), join(dir, name));
  }
  return dir;
}

const PRELUDE = `
npx() {
  if [ "$1" = warehouse ]; then shift; node "$WAREHOUSE_BIN" "$@"; return; fi
  echo "the docs test runs \\\`npx warehouse\\\` only, not npx $1" >&2; return 127
}
warehouse() { node "$WAREHOUSE_BIN" "$@"; }
`;

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('WAREHOUSE_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL' && !k.startsWith('VITEST')) env[k] = v;
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', WAREHOUSE_BIN: BIN, WAREHOUSE_PORT: '0' };
}

interface Background {
  child: ChildProcess;
  out: string;
  err: string;
}

function output(child: ChildProcess, into: { out: string; err: string }): void {
  child.stdout!.on('data', (d: Buffer) => (into.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (into.err += d.toString()));
}

/** Runs one foreground command to its end: stdout and stderr interleaved, as on a terminal. */
function runForeground(cmd: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', ['-c', `${PRELUDE}\n{\n${cmd}\n} 2>&1`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const got = { out: '', err: '' };
    output(child, got);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      got.out += `\n(timed out after ${COMMAND_TIMEOUT_MS / 1000} s)`;
    }, COMMAND_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolveRun(got.out + got.err);
    });
  });
}

/** Starts a long-running command; resolves once its stdout matches `expected` (or it ends, or 30 s pass). */
function startBackground(cmd: string, cwd: string, env: NodeJS.ProcessEnv, expected: string[], fix: (s: string) => string): Promise<Background> {
  return new Promise((resolveStart) => {
    const child = spawn('bash', ['-c', `${PRELUDE}\n${cmd}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const bg: Background = { child, out: '', err: '' };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolveStart(bg);
    };
    const timer = setTimeout(finish, 30_000);
    output(child, bg);
    child.stdout!.on('data', () => {
      if (matches(normalise(expected), normalise(fix(bg.out).split('\n')))) finish();
    });
    child.on('close', finish);
  });
}

async function stop(bg: Background): Promise<void> {
  if (bg.child.exitCode !== null || bg.child.signalCode !== null) return;
  const exited = new Promise((r) => bg.child.once('close', r));
  try {
    process.kill(-bg.child.pid!, 'SIGINT');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-bg.child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

/** Runs every console block of `file` in order; returns the commands run and what differed. */
export async function runMarkdown(file: string): Promise<{ commands: number; mismatches: Mismatch[] }> {
  const blocks = parseConsoleBlocks(readFileSync(file, 'utf8'));
  const cwd = freshClone();
  const env = cleanEnv();
  const background: Background[] = [];
  const ports = new Map<string, string>(); // documented port -> real port
  const toReal = (cmd: string) => [...ports].reduce((c, [doc, real]) => c.replace(new RegExp(`:${doc}\\b`, 'g'), `:${real}`), cmd);
  const toDoc = (text: string) => [...ports].reduce((t, [doc, real]) => t.replace(new RegExp(`:${real}\\b`, 'g'), `:${doc}`), text);
  const mismatches: Mismatch[] = [];
  let commands = 0;
  try {
    for (const block of blocks) {
      if (block.directive === 'skip') continue;
      commands += block.commands.length;
      const deadline = Date.now() + (block.directive === 'eventually' ? EVENTUALLY_MS : 0);
      for (;;) {
        const found: Mismatch[] = [];
        for (const c of block.commands) {
          const where = `${file}:${c.line}`;
          const last = c.expected.filter((l) => l.trim()).at(-1);
          let actual: string;
          if (last && BACKGROUND.test(last)) {
            // learn the port from the URL the document shows and the one the server printed
            const fixPorts = (out: string) => {
              const doc = /:\/\/[^\s/:]+:(\d+)/.exec(c.expected.join('\n'))?.[1];
              const real = /:\/\/[^\s/:]+:(\d+)/.exec(out)?.[1];
              if (doc && real && doc !== real) ports.set(doc, real);
              return toDoc(out);
            };
            const bg = await startBackground(toReal(c.cmd), cwd, env, c.expected, fixPorts);
            background.push(bg);
            actual = fixPorts(bg.out);
            if (!matches(normalise(c.expected), normalise(actual.split('\n')))) actual += bg.err ? `\n(stderr)\n${bg.err}` : '';
          } else {
            actual = toDoc(await runForeground(toReal(c.cmd), cwd, env));
          }
          if (!matches(normalise(c.expected), normalise(actual.split('\n')))) {
            found.push({ where, cmd: c.cmd, expected: normalise(c.expected).join('\n'), actual: normalise(actual.split('\n')).join('\n') });
          }
        }
        if (found.length === 0 || Date.now() >= deadline) {
          mismatches.push(...found);
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    for (const bg of background) await stop(bg);
    rmSync(cwd, { recursive: true, force: true });
  }
  return { commands, mismatches };
}

/** The Markdown files of the clone that hold console blocks to run. */
export function documentsWithConsoleBlocks(): string[] {
  const candidates = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f)),
    join('scenarios', 'README.md'),
  ];
  return candidates.filter((f) => parseConsoleBlocks(readFileSync(join(ROOT, f), 'utf8')).some((b) => b.directive !== 'skip' && b.commands.length > 0));
}
