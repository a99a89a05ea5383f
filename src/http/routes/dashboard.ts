/**
 * The dashboard's files: GET / (the page) and GET /dashboard/{file} (its ES modules, CSS and
 * images), read once from the package's `public/` directory (no build step). Only the files found
 * there at start are served, so no path from a request ever reaches the file system. The page
 * loads nothing from elsewhere: its Content-Security-Policy allows this origin only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from '../../kit/zod.js';
import type { FastifyReply } from 'fastify';
import { HttpProblem, problem } from '../errors.js';
import { documented } from '../openapi.js';
import { ANY_REQUEST, P, PUBLIC, SERVER_ERRORS } from '../schemas.js';
import type { ZodApp } from '../types.js';

/** the package's public/ (from src/http/routes or dist/http/routes alike) */
export const PUBLIC_DIR = fileURLToPath(new URL('../../../public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
}

function load(file: string): Asset {
  return { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
}

/** small files, sent whole; `no-cache` so a page reload after an upgrade gets the new ones */
const send = (reply: FastifyReply, asset: Asset) =>
  reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(asset.type).send(asset.body);

const text = z.string();
/** the media types a file may be served as (TYPES, without parameters) */
const MEDIA_TYPES = [...new Set(Object.values(TYPES).map((t) => t.split(';')[0]!))];
/** a file name under public/dashboard/ (only the files found there at start are served) */
const FILE_NAME = /^[\w.-]+$/;
const fileParams = z.strictObject({
  // any other name is no file of the dashboard: 404, as for a name that matches but is not there
  file: documented(z.string().max(100), {
    type: 'string',
    maxLength: 100,
    pattern: FILE_NAME.source,
    description: 'a file of the dashboard, as the page names it (404 for any other)',
    examples: ['app.js', 'style.css', 'favicon.svg'],
  }),
});

export function dashboardRoutes(app: ZodApp, { dir = PUBLIC_DIR }: { dir?: string } = {}): void {
  const page = load(join(dir, 'index.html'));
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, 'dashboard');
  for (const name of readdirSync(assetDir)) {
    if (FILE_NAME.test(name) && TYPES[extname(name)] && statSync(join(assetDir, name)).isFile()) assets.set(name, load(join(assetDir, name)));
  }

  app.get(
    '/',
    {
      schema: {
        operationId: 'dashboardPage',
        summary: 'The live dashboard (HTML; its modules under /dashboard/)',
        description: 'Served with a Content-Security-Policy that allows this origin only: the page loads nothing from elsewhere.',
        tags: ['teaching'],
        security: PUBLIC,
        response: { 200: { description: 'the page', content: { 'text/html': { schema: text } } }, ...ANY_REQUEST },
      },
    },
    async (_request, reply) => send(reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer'), page),
  );

  app.get(
    '/dashboard/:file',
    {
      schema: {
        operationId: 'dashboardFile',
        summary: "The dashboard's files: ES modules, CSS, images",
        description:
          "The ES modules, style sheet and images the page at / loads, read once at start from the package's public/ directory; any other name is 404.",
        tags: ['teaching'],
        security: PUBLIC,
        params: fileParams,
        response: {
          200: { description: 'the file, by its type', content: Object.fromEntries(MEDIA_TYPES.map((t) => [t, { schema: text }])) },
          404: P[404],
          ...SERVER_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) throw new HttpProblem(problem(404, `no dashboard file ${request.params.file}`));
      return send(reply, asset);
    },
  );
}
