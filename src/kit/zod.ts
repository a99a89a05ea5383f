/**
 * zod, for all of our code: from one file bundled at build time when there is one, else the
 * package's ES build.
 *
 * Why: `import { z } from 'zod'` loads 95 ES modules (61 of them the locales that zod's namespace
 * re-exports), ~250 M instructions, and Node 20's ES loader waits for each file on the thread
 * pool; every command that validates input paid it at start (`order create`: docs/performance.md,
 * start-up, fifth round). `npm run build` (and `prepare`) writes dist/kit/zod.bundle.cjs beside
 * this file's build (scripts/bundle-deps.mjs: esbuild, from zod's ES build, without the
 * locales' namespace): one CommonJS file of 300 KB, ~80 M. Where it is absent (src/ under tsx or Vitest, an install without the dev dependencies)
 * the package is imported as before.
 *
 * One zod for our schemas: every value of ours comes from here (the dependency rule
 * `zod-from-its-shim`); the types are the package's (`Zod`, the namespace of types). In `serve`,
 * fastify-type-provider-zod imports `zod/v4/core` beside it: zod is made for that (its global
 * registry and config live on `globalThis`, its `instanceof` checks a schema's traits), and the
 * HTTP tests check the OpenAPI document and the validation answers through it.
 */
import { createRequire } from 'node:module';
import type { z as Z } from 'zod';

/** zod's namespace of types: `Zod.infer<typeof schema>`, `Zod.ZodType`, … */
export type { Z as Zod };

/**
 * zod's namespace without its locales: the bundle leaves them out (`z.locales` and
 * `z.core.locales` are empty there; scripts/bundle-deps.mjs), English being zod's default
 */
type ZodValues = Omit<typeof Z, 'locales'>;

/** the bundle's zod, when this is the build and the bundle was written */
function bundled(): ZodValues | null {
  const load = createRequire(import.meta.url);
  let path: string;
  try {
    path = load.resolve('./zod.bundle.cjs');
  } catch {
    return null;
  }
  return (load(path) as { z: ZodValues }).z;
}

const fromBundle = bundled();
/** where this process's zod comes from: the build's bundle, or the package */
export const zodSource: 'bundle' | 'zod' = fromBundle === null ? 'zod' : 'bundle';
export const z: ZodValues = fromBundle ?? (await import('zod')).z;
