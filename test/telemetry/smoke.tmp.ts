console.log('start');
const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-base');
console.log('a');
const { testWarehouse } = await import('../helpers.js');
console.log('b');
const mem = new InMemorySpanExporter();
const w = await testWarehouse({ supplierScript: { X: { status: ['delayed', 'ok'] } }, tracing: { exporters: [mem] } });
console.log('c');
await w.tracing.inSpan('test root', {}, async () => { await w.orders.create({ sku: 'X', qty: 30 }); });
console.log('d'); const keep = setInterval(() => {}, 1000);
await w.runner.runUntilIdle();
for (const s of mem.getFinishedSpans()) {
  console.log(s.spanContext().traceId.slice(0, 6), s.spanContext().spanId.slice(0,6), (s.parentSpanContext?.spanId ?? '-').slice(0,6), s.kind, s.name, new Date(s.startTime[0]*1000 + s.startTime[1]/1e6).toISOString(), s.events.map(e => e.name).join(','), JSON.stringify(s.attributes).slice(0, 150), s.links.length);
}
clearInterval(keep); console.log('e');
console.log(mem.getFinishedSpans().length, w.tracing.enabled);

await w.close();
