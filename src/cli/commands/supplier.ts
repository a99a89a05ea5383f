/**
 * `warehouse supplier serve`: the mock supplier as its own HTTP service (src/supplier/service.ts).
 * Prints the URL on stdout (with --json one JSON object), then one line per call. SIGINT/SIGTERM
 * stop it: no new calls, hanging `timeout` answers released, the state file closed, exit 0.
 * `warehouse supplier openapi` prints the contract.
 */
import { describeDatabase, parseDatabase } from '../../config.js';
import { UsageError } from '../../domain/errors.js';
import { numberFromText } from '../../domain/validation.js';
import { assertSafeBind, parseAllowedHosts } from '../../serving/bind.js';
import { listenProblem } from '../ports.js';
import type { Ctx } from '../context.js';

export async function serve(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const port = numberFromText('--port', String(opts.port), 'a port from 0 to 65535');
  if (port > 65535) throw new UsageError(`--port must be from 0 to 65535 (got ${port})`);
  const host = String(opts.host);
  const token = ctx.opts.supplierToken || undefined;
  // before the state file is opened (or made): the service checks the same rule again
  const { SUPPLIER_RULE } = await import('../../supplier/service.js');
  assertSafeBind(host, token, SUPPLIER_RULE);
  const allowedHosts = parseAllowedHosts(opts.allowedHost === undefined ? [] : [opts.allowedHost].flat().map(String));
  const stateFile = String(opts.state);
  // a PostgreSQL state is shown without its password
  const stateLabel = /^postgres(ql)?:\/\//i.test(stateFile) ? describeDatabase(parseDatabase(stateFile)) : stateFile;
  const { loadScriptFile } = await import('../../supplier/script-file.js');
  const script = typeof opts.script === 'string' ? await loadScriptFile(opts.script) : undefined;

  const { serveMockSupplier } = await import('../../supplier/start.js');
  const { formatLogLine } = await import('../../supplier/log.js');
  const service = await serveMockSupplier({
    stateFile,
    script,
    port,
    host,
    token,
    allowedHosts,
    log: (line) => ctx.io.stdout.write(`${ctx.opts.json ? JSON.stringify(line) : formatLogLine(line)}\n`),
  }).catch((error: unknown) => {
    throw listenProblem(error, port, host, '--port');
  });
  if (ctx.opts.json) ctx.io.stdout.write(`${JSON.stringify({ url: service.url, state: stateLabel })}\n`);
  else {
    ctx.io.stdout.write(`supplier listening on ${service.url} (state ${stateLabel}); Ctrl-C to stop\n`);
    ctx.io.stdout.write(ctx.c.dim(`point the engine at it: warehouse --supplier-url ${service.url} work\n`));
  }

  await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await service.closeAll();
  return 0;
}

export async function openapi(ctx: Ctx): Promise<number> {
  const { contractText } = await import('../../supplier/start.js');
  ctx.io.stdout.write(contractText());
  return 0;
}
