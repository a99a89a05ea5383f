/**
 * The dashboard's files: GET / (the page) and GET /dashboard/{file} (its ES modules, CSS and
 * images), read once from the package's `public/` directory (no build step). Only the files found
 * there at start are served, so no path from a request ever reaches the file system. The page
 * loads nothing from elsewhere: its Content-Security-Policy allows this origin only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { HttpProblem, problem } from '../errors.js';
import { P, SERVER_ERRORS } from '../schemas.js';
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

export const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
}

function load(file: string): Asset {
  return { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' };
}

/** small files, sent whole; `no-cache` so a page reload after an upgrade gets the new ones */
const send = (reply: FastifyReply, asset: Asset) => reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(asset.type).send(asset.body);

const fileResponse = (type: string, description: string) => ({ description, content: { [type]: { schema: z.string() } } });

export function dashboardRoutes(app: ZodApp, { dir = PUBLIC_DIR }: { dir?: string } = {}): void {
  const page = load(join(dir, 'index.html'));
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, 'dashboard');
  for (const name of readdirSync(assetDir)) {
    if (/^[\w.-]+$/.test(name) && TYPES[extname(name)] && statSync(join(assetDir, name)).isFile()) assets.set(name, load(join(assetDir, name)));
  }

  app.get(
    '/',
    {
      schema: {
        summary: 'The live dashboard (HTML; its modules under /dashboard/)',
        tags: ['teaching'],
        response: { 200: fileResponse('text/html', 'the page'), ...SERVER_ERRORS },
      },
    },
    async (_request, reply) => send(reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer'), page),
  );

  app.get(
    '/dashboard/:file',
    {
      schema: {
        summary: "The dashboard's files: ES modules, CSS, images",
        tags: ['teaching'],
        params: z.strictObject({ file: z.string().max(100) }),
        response: {
          200: { description: 'the file (text/javascript, text/css, image/svg+xml, …)', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() }, 'image/svg+xml': { schema: z.string() } } },
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
