/**
 * What a request body may be: JSON, in UTF-8, not compressed (at most 16 KiB, app.ts). Anything
 * else is refused before the body is read: 415, naming what to send instead. A request that needs
 * a body and has none is a 400 whether or not it names a content type (errors.ts, NO_BODY).
 */
import type { FastifyInstance } from 'fastify';
import { HttpProblem, problem } from './errors.js';

const hasBody = (headers: Record<string, string | string[] | undefined>) =>
  headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');

/** the charset parameter of a Content-Type, lower-cased and unquoted; undefined when there is none */
function charsetOf(contentType: string): string | undefined {
  const m = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType);
  return m ? m[2]!.toLowerCase() : undefined;
}

export function installBodyRules(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!hasBody(request.headers)) return payload;
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      throw new HttpProblem(problem(415, `the body is sent with Content-Encoding ${encoding}, which this API does not accept; send it uncompressed`));
    }
    const type = request.headers['content-type'];
    const charset = typeof type === 'string' ? charsetOf(type) : undefined;
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new HttpProblem(problem(415, `the body's charset is ${charset || '(empty)'}; JSON here is UTF-8 only: send charset=utf-8, or no charset`));
    }
    return payload;
  });
}
