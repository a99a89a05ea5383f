/**
 * Which files `simulate` reads from its arguments. A file ending in `.yaml` or `.yml` is a
 * scenario; a directory stands for the `.yaml`/`.yml` files directly in it (sorted by name, not
 * recursive), so `simulate scenarios/` runs the library; any other file (the README.md that
 * `scenarios/*` matches) is skipped with a note. A path that does not exist is kept: the loader
 * reports it as a problem.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface Skipped {
  path: string;
  why: string;
}

export const isScenarioName = (name: string) => /\.ya?ml$/i.test(name);

export async function scenarioFiles(paths: string[]): Promise<{ files: string[]; skipped: Skipped[] }> {
  const files: string[] = [];
  const skipped: Skipped[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info?.isDirectory()) {
      const entries = await readdir(path, { withFileTypes: true });
      const found = entries.filter((e) => e.isFile() && isScenarioName(e.name)).map((e) => join(path, e.name));
      found.sort();
      if (found.length === 0) skipped.push({ path, why: 'a directory with no .yaml or .yml file' });
      files.push(...found);
    } else if (info && !isScenarioName(path)) {
      skipped.push({ path, why: 'not a scenario file (only .yaml and .yml files are read)' });
    } else {
      files.push(path);
    }
  }
  return { files, skipped };
}
