/** A small server-sent-events client for tests: reads a text/event-stream and parses its frames. */
export interface Frame {
  id: string | null;
  event: string;
  data: string;
  /** a comment line (": heartbeat") */
  comment: string | null;
}

export interface Stream {
  frames: Frame[];
  status: number;
  headers: Headers;
  /** resolves with the first frame (seen or to come) that matches */
  next(match: (f: Frame) => boolean, what?: string): Promise<Frame>;
  /** resolves when the server ends the stream */
  ended: Promise<void>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const frames: Frame[] = [];
  const waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  const push = (f: Frame) => {
    frames.push(f);
    for (const w of [...waiters]) {
      if (w.match(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  };
  const ended = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const f: Frame = { id: null, event: 'message', data: '', comment: null };
          let any = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) f.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) f.id = line.slice(4);
            else if (line.startsWith('event: ')) f.event = line.slice(7);
            else if (line.startsWith('data: ')) f.data += line.slice(6);
            else continue;
            any = true;
          }
          if (any) push(f);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    frames,
    status: res.status,
    headers: res.headers,
    next(match) {
      const seen = frames.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    ended,
    close: () => abort.abort(),
  };
}

export const data = (f: Frame) => JSON.parse(f.data) as Record<string, unknown>;
