/**
 * A client on a raw TCP socket, for what fetch cannot do: send nothing, send a request a byte at a
 * time, and time how long the server keeps the connection open.
 */
import { connect, type Socket } from 'node:net';

export interface Exchange {
  /** what the server wrote, as text */
  text: string;
  /** ms from connect to the server closing the socket */
  closedAfter: number;
}

/**
 * Connects, runs `client` (which writes slowly or not at all), and resolves when the server
 * closes; rejects if the server keeps the socket open `giveUpMs` (default 20 s).
 */
export function exchange(url: string, client: (socket: Socket) => void, giveUpMs = 20_000): Promise<Exchange> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let text = '';
    const socket = connect(Number(port), hostname, () => client(socket));
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset after the answer is still a close
    socket.on('close', () => resolve({ text, closedAfter: performance.now() - started }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the socket open ${giveUpMs} ms: ${JSON.stringify(text)}`));
    }, giveUpMs).unref();
  });
}

/** writes `chunks` one every `everyMs` while the socket is open */
export function trickle(socket: Socket, chunks: string[], everyMs: number): void {
  const timer = setInterval(() => {
    const next = chunks.shift();
    if (next === undefined || socket.destroyed) return clearInterval(timer);
    socket.write(next);
  }, everyMs);
}

/** The responses in `text` (several on a kept-alive connection), each with its status, headers and JSON body. */
export function responses(text: string) {
  const out: Array<{ status: number; headers: Record<string, string>; body: Record<string, unknown> | undefined }> = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    const raw = rest.slice(end + 4, end + 4 + length);
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

/** The first response in `text`. */
export function parse(text: string) {
  const [first] = responses(text);
  if (!first) throw new Error(`no HTTP response in ${JSON.stringify(text)}`);
  return first;
}
