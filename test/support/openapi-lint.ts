/**
 * Redocly's OpenAPI linter for the tests, through its engine (@redocly/openapi-core: the library
 * `redocly lint` runs, without the CLI's 77 MB of preview server, docs renderer and test data
 * generator, nor a child process). The ruleset is `recommended-strict` unless told otherwise:
 * Redocly's recommended rules, every warning an error. An `.redocly.lint-ignore.yaml` is not read:
 * what the linter finds is in the answer.
 */
import { createConfig, lint, type NormalizedProblem } from '@redocly/openapi-core';

/** Redocly's built-in rulesets (`extends:` in a redocly.yaml) */
export type Ruleset = 'minimal' | 'recommended' | 'recommended-strict' | 'spec';

/** One line per problem, `severity rule-id: message (where)`; none when the document passes. */
export async function lintOpenApi(file: string, ruleset: Ruleset = 'recommended-strict'): Promise<string[]> {
  const config = await createConfig({ extends: [ruleset] });
  const problems = await lint({ ref: file, config });
  return problems.filter((p) => !p.ignored).map(describe);
}

function describe(p: NormalizedProblem): string {
  const where = p.location[0]?.pointer;
  return `${p.severity} ${p.ruleId}: ${p.message}${where ? ` (${where})` : ''}`;
}
