/**
 * `warehouse supplier serve --script file.yaml`: SKU scripts in the format of a scenario's
 * `supplier:` block (a map of SKU or `*` to `{ reserve, status }`); a whole scenario file works
 * too (its `supplier:` block is used). Every mistake is reported as file:line:col.
 */
import { readFile } from 'node:fs/promises';
import { isMap, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { skuScriptSchema, type SkuScript, type SupplierScript } from '../domain/supplier-script.js';
import { UsageError } from '../domain/errors.js';
import { SKU_RULE, skuSchema } from '../domain/validation.js';
import { pathText, plainValue, position, walk, type Path } from '../sim/locate.js';

const EXAMPLE = 'e.g. WIDGET: { reserve: accepted, status: [delayed, ok] }';

export async function loadScriptFile(file: string): Promise<SupplierScript> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--script ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : (error as Error).message})`);
  }
  return parseScriptText(file, text);
}

export function parseScriptText(file: string, text: string): SupplierScript {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  const at = (path: Path, message: string, key = false) => {
    const found = walk(doc, path);
    const { line, col } = position(lc, key && found.key ? found.key : found.node);
    problems.push(`${file}:${line}:${col}: ${message}`);
  };
  for (const err of doc.errors) {
    const { line, col } = lc.linePos(err.pos[0]);
    problems.push(`${file}:${line}:${col}: YAML: ${err.message.split('\n')[0]}`);
  }
  if (!problems.length && !isMap(doc.contents)) at([], `a supplier script is a YAML mapping of SKUs to scripts, ${EXAMPLE}`);
  if (problems.length) throw new UsageError(problems.join('\n'));

  const value = plainValue(doc, lc);
  if (!value.ok) throw new UsageError(`${file}:${value.line}:${value.col}: ${value.message}`);
  const raw = value.value as Record<string, unknown>;
  // a scenario file: use its supplier block
  const base: Path = 'supplier' in raw && 'steps' in raw ? ['supplier'] : [];
  const block = base.length ? raw.supplier : raw;
  if (base.length && (block === null || typeof block !== 'object' || Array.isArray(block) || !isMap(walk(doc, base).node as Node))) {
    at(base, `supplier: must map SKUs to scripts, ${EXAMPLE}`);
    throw new UsageError(problems.join('\n'));
  }
  const script: SupplierScript = {};
  for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
    const sku = key === '*' ? { success: true as const, data: '*' } : skuSchema.safeParse(key);
    if (!sku.success) {
      at([...base, key], `"${key}" is not a SKU: ${SKU_RULE} (or * for every other SKU)`, true);
      continue;
    }
    if (sku.data in script) {
      at([...base, key], `SKU ${sku.data} appears twice (SKUs are trimmed and upper-cased, so "${key}" is ${sku.data} too)`, true);
      continue;
    }
    const parsed = skuScriptSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = [...base, key, ...(issue.path as Path)];
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown key in ${pathText([...base, key])}: ${(issue as z.core.$ZodIssueUnrecognizedKeys).keys.join(', ')} (expected reserve, status)`
            : issue.message;
        at(path, message, issue.code === 'unrecognized_keys');
      }
      continue;
    }
    script[sku.data] = parsed.data as SkuScript;
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return script;
}
