/**
 * The simulator benchmark's scenario (bench/sim.ts), also replayed on both simulator backends by
 * test/sim/transports.test.ts: N orders, half served from local stock, half through a supplier
 * answering [delayed, delayed, ok], arriving in chunks of 100 a second.
 */
const CHUNK = 100;

/** The scenario as YAML text, so the loader is part of what the benchmark measures. */
export function generate(orders: number): string {
  const local = Math.ceil(orders / 2);
  const supplied = orders - local;
  const steps: string[] = [];
  let chunk = 0;
  for (let done = 0; done < Math.max(local, supplied); done += CHUNK, chunk++) {
    const l = Math.min(CHUNK, local - done);
    const s = Math.min(CHUNK, supplied - done);
    if (l > 0) steps.push(`  - at: ${chunk}s\n    order: { id: local${chunk}, sku: LOCAL, qty: 1, count: ${l} }`);
    if (s > 0) steps.push(`  - at: ${chunk}s\n    order: { id: supplied${chunk}, sku: SUPPLIED, qty: 1, count: ${s} }`);
  }
  return `name: ${orders} orders, half through a slow supplier
inventory: { LOCAL: ${local} }
supplier:
  SUPPLIED: { reserve: accepted, status: [delayed, delayed, ok] }
steps:
${steps.join('\n')}
expect:
  inventory: { LOCAL: 0, SUPPLIED: 0 }
`;
}
