/** A request with a Host header of our choosing (fetch does not let one be set). */
import { request } from 'node:http';

export function callWithHost(url: string, path: string, host: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise<{ status: number; type: string; json: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: init.method ?? 'GET', headers: { host, ...(body ? { 'content-type': 'application/json' } : {}), ...init.headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), json: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
