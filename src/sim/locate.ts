/**
 * Where things are in a scenario file: from a path of keys and indexes (as zod reports it) to the
 * YAML node it names, and from there to a 1-based line and column. Also: which keys an object of
 * the schema knows at a path, and which of them a misspelt key most likely meant.
 */
import { isMap, isScalar, isSeq, visit, type Alias, type Document, type LineCounter, type Node } from 'yaml';
import { type Zod, z } from '../kit/zod.js';

export type Path = ReadonlyArray<PropertyKey>;

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : String(key));

interface Found {
  /** the deepest node on the path that exists */
  node: Node | null;
  /** the key node of the last segment, when the path ends at an existing map entry */
  key: Node | null;
  /** how many segments were found */
  depth: number;
}

export function walk(doc: Document, path: Path): Found {
  let node = (doc.contents as Node | null) ?? null;
  let key: Node | null = null;
  let depth = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      key = (pair.key as Node | null) ?? null;
      if (!pair.value) {
        node = key;
        depth++;
        break;
      }
      node = pair.value as Node;
    } else if (isSeq(node) && Number.isInteger(Number(seg))) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) break;
      key = null;
      node = item;
    } else break;
    depth++;
  }
  return { node, key: depth === path.length ? key : null, depth };
}

/** 1-based line and column of the node (or the document start). */
export function position(lc: LineCounter, node: Node | null): { line: number; col: number } {
  const offset = node?.range?.[0] ?? 0;
  return lc.linePos(offset);
}

/**
 * How many copies of anchored values a file's aliases may expand to in all (the yaml library's
 * own default, said here once): a scenario or a script repeats a value a few times at most, while
 * an alias bomb ("billion laughs") asks for billions from a few lines.
 */
export const MAX_ALIAS_EXPANSION = 100;

/**
 * The document as plain data; or, when its aliases expand past MAX_ALIAS_EXPANSION, where its
 * first alias is and what is wrong. Bad input, told as such: never an exception.
 */
export function plainValue(doc: Document, lc: LineCounter): { ok: true; value: unknown } | { ok: false; line: number; col: number; message: string } {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION }) };
  } catch (error) {
    // the yaml library says so with a ReferenceError ("Excessive alias count …"); anything else is not the file's fault
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    let first: Alias | null = null;
    visit(doc, {
      Alias(_key, node) {
        first = node;
        return visit.BREAK;
      },
    });
    return {
      ok: false,
      ...position(lc, first),
      message: `YAML: the aliases (*name) from here on expand to more than ${MAX_ALIAS_EXPANSION} copies of anchored values, as an alias bomb does; write the values out, or repeat fewer of them`,
    };
  }
}

/** What the user wrote for this node, shortened, for "got …" in messages. */
export function sourceOf(text: string, node: Node | null): string | null {
  if (!node?.range) return null;
  const src = text.slice(node.range[0], node.range[1]).trim();
  if (!src) return null;
  return src.length > 40 ? `${src.slice(0, 37)}...` : src;
}

/** Steps through wrappers (optional, nullable, preprocess) to the schema that holds the data. */
function unwrap(schema: Zod.ZodType): Zod.ZodType {
  let s: Zod.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as Zod.ZodType;
    else if (s instanceof z.ZodPipe) s = (s.out instanceof z.ZodTransform ? s.in : s.out) as Zod.ZodType;
    else break;
  }
  return s;
}

/** The keys the strict object at `path` accepts (empty when there is none). */
export function knownKeysAt(schema: Zod.ZodType, path: Path): string[] {
  let s = unwrap(schema);
  for (const seg of path) {
    if (s instanceof z.ZodObject) {
      const child = (s.shape as Record<string, Zod.ZodType>)[String(seg)];
      if (!child) return [];
      s = unwrap(child);
    } else if (s instanceof z.ZodRecord) s = unwrap(s.valueType as Zod.ZodType);
    else if (s instanceof z.ZodArray) s = unwrap(s.element as Zod.ZodType);
    else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The candidate a misspelling most likely meant, or null when none is close. */
export function nearest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const d = cl === w ? 0 : cl.startsWith(w) || w.startsWith(cl) ? 1 : distance(w, cl);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== null && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

export const pathText = (path: Path) =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');
