/**
 * A server span per HTTP request (HTTP server conventions), when tracing is on: it continues the
 * caller's trace (`traceparent`), is named `<METHOD> <route>` once Fastify has routed it, and
 * everything the request does — the order it creates, the transaction, the job it enqueues — is
 * its child. The request's whole handling runs in the span: Fastify's request listener is wrapped,
 * and the request and response emitters are bound to it (body chunks arrive on the socket's
 * callbacks, outside any span otherwise). `/healthz` and `/metrics` are not traced.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracing } from '../ports/tracing.js';
import type { ZodApp } from './types.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Probes and scrapes: a trace each every few seconds would bury the orders' traces. */
const UNTRACED = /^\/(healthz|metrics)(\?|$)/;

export function installRequestSpans(app: ZodApp, tracing: Tracing): void {
  if (!tracing.enabled) return;
  const server = app.server;
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  for (const listener of listeners) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (UNTRACED.test(req.url ?? '')) return listener.call(server, req, res);
      const [path, query] = (req.url ?? '/').split('?', 2);
      const host = req.headers.host ?? '';
      const attributes = {
        'http.request.method': req.method ?? 'GET',
        'url.scheme': 'http',
        'url.path': path,
        'url.query': query,
        'server.address': host.replace(/:\d+$/, '') || undefined,
        'server.port': req.socket.localPort,
        'client.address': req.socket.remoteAddress,
        'user_agent.original': req.headers['user-agent'],
        'network.protocol.version': req.httpVersion,
      };
      tracing.serve({ method: req.method ?? 'GET', headers: req.headers }, attributes, (span, bind) => {
        bind(req);
        bind(res);
        res.once('close', () => {
          span.setAttributes({ 'http.response.status_code': res.statusCode });
          // a server span is an error for the server's faults only (5xx), not the client's
          if (res.statusCode >= 500) span.fail(new Error(`HTTP ${res.statusCode}`));
          span.end();
        });
        listener.call(server, req, res);
      });
    });
  }
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    const span = tracing.active();
    if (!span || !route) return;
    span.rename(`${request.method} ${route}`);
    span.setAttributes({ 'http.route': route });
  });
}
