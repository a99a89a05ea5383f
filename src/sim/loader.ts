/**
 * Loads a scenario file: YAML with positions (parseDocument + LineCounter), the shape checked by
 * zod (schema.ts), then names cross-checked (compile.ts). Every problem found is returned, each
 * located as file:line:col, so a person fixes a file in one pass; nothing here throws for a
 * mistake in the file.
 */
import { readFile } from 'node:fs/promises';
import { isCollection, isMap, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { compile, type Report } from './compile.js';
import { knownKeysAt, nearest, pathText, plainValue, position, sourceOf, walk, type Path } from './locate.js';
import type { Problem, Scenario } from './model.js';
import { scenarioSchema } from './schema.js';

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; problems: Problem[] };

/** Reads and loads one file; an unreadable file is one problem at 1:1. */
export async function loadScenarioFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a scenario file' : (error as Error).message;
    return { ok: false, problems: [{ file, line: 1, col: 1, message: `cannot read the scenario: ${why}` }] };
  }
  return loadScenario(file, text);
}

export function loadScenario(file: string, text: string): LoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [];
  const at = (node: Node | null, message: string) => problems.push({ file, ...position(lc, node), message });

  for (const err of doc.errors) {
    const { line, col } = lc.linePos(err.pos[0]);
    problems.push({ file, line, col, message: `YAML: ${err.message.split('\n')[0]}` });
  }
  if (problems.length) return { ok: false, problems };
  if (!isMap(doc.contents)) {
    at(doc.contents as Node | null, 'a scenario is a YAML mapping with name, steps and (usually) expect');
    return { ok: false, problems };
  }

  const value = plainValue(doc, lc);
  if (!value.ok) return { ok: false, problems: [{ file, line: value.line, col: value.col, message: value.message }] };
  const parsed = scenarioSchema.safeParse(value.value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) describeIssue(issue, (p, m, k) => locateAndAdd(p, m, k));
    return { ok: false, problems: sorted(problems) };
  }

  function locateAndAdd(path: Path, message: string, key = false): void {
    const found = walk(doc, path);
    at(key && found.key ? found.key : found.node, message);
  }

  /** One zod issue as one or more located, human messages. */
  function describeIssue(issue: z.core.$ZodIssue, add: Report): void {
    const path = issue.path as Path;
    const where = path.length ? ` in ${pathText(path)}` : '';
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(scenarioSchema, path);
      for (const key of issue.keys) {
        const hint = nearest(key, known);
        add([...path, key], `unknown key "${key}"${where}${hint ? `; did you mean "${hint}"?` : ''} (expected ${known.join(', ')})`, true);
      }
      return;
    }
    const found = walk(doc, path);
    const parent = walk(doc, path.slice(0, -1));
    const missing = found.depth < path.length && parent.depth === path.length - 1 && isMap(parent.node);
    if (missing) {
      add(path.slice(0, -1), `missing "${String(path.at(-1))}"${path.length > 1 ? ` in ${pathText(path.slice(0, -1))}` : ''}: ${issue.message}`);
      return;
    }
    const got = found.node && !isCollection(found.node) ? sourceOf(text, found.node) : null;
    let hint = '';
    if (issue.code === 'invalid_value' && got) {
      const near = nearest(got, issue.values.map(String));
      if (near) hint = `; did you mean "${near}"?`;
    }
    add(path, `${issue.message}${got !== null ? ` (got ${got})` : ''}${hint}${where ? ` [${pathText(path)}]` : ''}`);
  }

  const scenario = compile(file, parsed.data, locateAndAdd);
  if (problems.length) return { ok: false, problems: sorted(problems) };
  return { ok: true, scenario };
}

const sorted = (ps: Problem[]) => [...ps].sort((a, b) => a.line - b.line || a.col - b.col);
