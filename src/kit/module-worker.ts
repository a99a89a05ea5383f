/**
 * A worker thread running one of our own modules, named beside the caller. Built (dist/), the
 * module is the `.js` file next to the caller's; from the TypeScript sources (tests, `npx tsx
 * bench/…`), where only the `.ts` file exists, the thread first registers tsx's loader (a
 * development dependency, there whenever the sources are run) so that the same module runs there
 * too, imports and all.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Starts `<name>.js` (or, from the sources, `<name>.ts`) beside the module at `callerUrl` on a thread of its own. */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const built = new URL(`./${name}.js`, callerUrl);
  if (existsSync(fileURLToPath(built))) return new Worker(built, options);
  const source = new URL(`./${name}.ts`, callerUrl);
  if (!existsSync(fileURLToPath(source))) throw new Error(`no module ${name}.js or ${name}.ts beside ${fileURLToPath(callerUrl)}`);
  // tsx's ESM loader, found from here as the sources would import it
  const tsxDir = createRequire(callerUrl)
    .resolve('tsx/package.json')
    .replace(/package\.json$/, '');
  const api = pathToFileURL(`${tsxDir}dist/esm/api/index.mjs`).href;
  const boot = `const { register } = await import(${JSON.stringify(api)});\nregister();\nawait import(${JSON.stringify(source.href)});\n`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), options);
}
