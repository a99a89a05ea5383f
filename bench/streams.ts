/**
 * Event streams that never read (docs/security.md, "Bounded resources"): does a flood of them
 * leave the server answering, and how much memory does it cost?
 *
 * Run: npx tsx bench/streams.ts [--streams 300] [--addresses 30] [--max-streams 100] [--max-per-client 10]
 *
 * A real `warehouse serve` (bin/warehouse.js, built: `npm run build`) on a temp SQLite file; 2,000
 * stock counts through the API fill the event ring (each is one `stock:changed` event of about
 * 150 bytes). Then `--streams` raw TCP connections, spread over `--addresses` loopback addresses
 * (127.0.0.2 …), each ask for GET /api/events with `Last-Event-ID: <epoch>-0` (a replay of the
 * whole ring) and never read a byte. Printed: how many streams the server took and how many got
 * 503; /healthz latency (20 calls, median and max) while they are held; the server's RSS before
 * the streams and with them (VmRSS from /proc, after 2 s to settle). The bar: /healthz ≤ 500 ms,
 * memory growth ≤ 50 MB.
 */
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '300' },
    addresses: { type: 'string', default: '30' },
    'max-streams': { type: 'string', default: '100' },
    'max-per-client': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    durability: { type: 'string' },
  },
});
const STREAMS = Number(values.streams);
const ADDRESSES = Number(values.addresses);
const BIN = resolve(import.meta.dirname, '..', 'bin', 'warehouse.js');

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const db = join(mkdtempSync(join(tmpdir(), 'bench-streams-')), 'w.db');
const child = spawn(
  process.execPath,
  [
    BIN,
    '--db',
    db,
    '--json',
    'serve',
    '--port',
    '0',
    '--log-level',
    'warn',
    '--rate-limit',
    '0',
    '--max-streams',
    String(values['max-streams']),
    '--max-streams-per-client',
    String(values['max-per-client']),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WAREHOUSE_API_TOKEN: '' } },
);
const url = await new Promise<string>((ok, fail) => {
  child.stdout.once('data', (d: Buffer) => ok((JSON.parse(d.toString().split('\n')[0]!) as { url: string }).url));
  child.once('exit', (code) => fail(new Error(`serve exited ${code}`)));
});
const { port } = new URL(url);

for (let i = 0; i < 2_000; i += 50)
  await Promise.all(
    Array.from({ length: 50 }, (_, j) =>
      fetch(`${url}/api/inventory/SKU-${(i + j) % 500}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ onHand: i + j }),
      }),
    ),
  );
// the epoch of this server's ids, from a stream's hello
const hello = await fetch(`${url}/api/events`);
const reader = hello.body!.getReader();
let text = '';
while (!/id: (\w+)-\d+/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
const epoch = /id: (\w+)-\d+/.exec(text)![1];
await reader.cancel();
await pause(1_000);
const before = rssMb(child.pid!);

const sockets: Socket[] = [];
const answers = { taken: 0, refused: 0, other: 0 };
await Promise.all(
  Array.from(
    { length: STREAMS },
    (_, i) =>
      new Promise<void>((done) => {
        const s = connect({ host: '127.0.0.1', port: Number(port), localAddress: `127.0.0.${2 + (i % ADDRESSES)}` }, () => {
          s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nLast-Event-ID: ${epoch}-0\r\n\r\n`);
        });
        sockets.push(s);
        s.once('data', (d: Buffer) => {
          const status = Number(/^HTTP\/1\.1 (\d+)/.exec(d.toString())?.[1]);
          if (status === 200) answers.taken++;
          else if (status === 503) answers.refused++;
          else answers.other++;
          s.pause(); // and never read again
          done();
        });
        s.once('error', () => {
          answers.other++;
          done();
        });
      }),
  ),
);
await pause(2_000);
const times: number[] = [];
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  const r = await fetch(`${url}/healthz`);
  await r.text();
  times.push(performance.now() - t);
}
const during = rssMb(child.pid!);
times.sort((a, b) => a - b);
const result = {
  streams: STREAMS,
  addresses: ADDRESSES,
  taken: answers.taken,
  refused503: answers.refused,
  other: answers.other,
  healthzMedianMs: Math.round(times[10]! * 10) / 10,
  healthzMaxMs: Math.round(times.at(-1)! * 10) / 10,
  rssBeforeMb: Math.round(before),
  rssDuringMb: Math.round(during),
  growthMb: Math.round(during - before),
};
for (const s of sockets) s.destroy();
child.kill('SIGTERM');
if (values.json) console.log(JSON.stringify(result));
else
  console.log(
    `${STREAMS} non-reading streams from ${ADDRESSES} addresses: ${result.taken} taken, ${result.refused503} refused (503), ${result.other} other\n` +
      `/healthz while held: median ${result.healthzMedianMs} ms, max ${result.healthzMaxMs} ms (bar: 500 ms)\n` +
      `server RSS: ${result.rssBeforeMb} MB before, ${result.rssDuringMb} MB with the streams: +${result.growthMb} MB (bar: 50 MB)`,
  );
