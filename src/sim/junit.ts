/**
 * JUnit XML for CI: one <testcase> per scenario, one <failure> per difference; a file that could
 * not be loaded is a testcase with an <error> per problem. Text and attributes are escaped.
 */
import type { Problem, ScenarioResult } from './model.js';
import { failureLine, show } from './report.js';

/** Escapes text for XML content and attributes; drops characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');

export function junitXml(results: Array<ScenarioResult & { wallMs?: number }>, problems: Problem[] = []): string {
  const byFile = new Map<string, Problem[]>();
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  const failures = results.filter((r) => !r.passed).length;
  const seconds = (ms = 0) => (ms / 1000).toFixed(3);
  const total = seconds(results.reduce((a, r) => a + (r.wallMs ?? 0), 0));
  const suite = { name: 'warehouse simulate', tests: results.length + byFile.size, failures, errors: byFile.size, skipped: 0, time: total };
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attrs(suite)}>`, `  <testsuite${attrs(suite)}>`];
  for (const r of results) {
    const head = `    <testcase${attrs({ classname: r.file, name: r.name, time: seconds(r.wallMs) })}`;
    if (r.passed) {
      out.push(`${head}/>`);
      continue;
    }
    out.push(`${head}>`);
    for (const f of r.failures) {
      const body = `path: ${f.path}\nexpected: ${show(f.expected)}\nactual: ${show(f.actual)}`;
      out.push(`      <failure${attrs({ message: failureLine(f), type: 'expectation' })}>${xmlEscape(body)}</failure>`);
    }
    out.push('    </testcase>');
  }
  for (const [file, ps] of byFile) {
    out.push(`    <testcase${attrs({ classname: file, name: file, time: '0.000' })}>`);
    for (const p of ps)
      out.push(
        `      <error${attrs({ message: `${p.line}:${p.col}: ${p.message}`, type: 'malformed' })}>${xmlEscape(`${p.file}:${p.line}:${p.col}: ${p.message}`)}</error>`,
      );
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
