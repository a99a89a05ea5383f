/**
 * The layers of docs/architecture.md, checked by machine (`npm run lint:deps`, part of `npm run
 * lint` and of `npm test`):
 *
 *   kit       small tools with no rule of ours in them (waiting on the wall clock, ...): imports
 *             nothing of ours but kit; every floor above domain may import it
 *   domain    pure rules: imports nothing of ours but domain (and zod)
 *   ports     small interfaces: domain and ports
 *   app       use cases: domain, ports and app
 *   adapters  one folder per port, the only place that imports its library; domain, ports and its
 *             own folder, never another adapter's (the mock supplier's durable state is a port,
 *             ports/mock-state.ts, implemented by each database adapter and picked in wiring/)
 *   text      human text shared by the CLI and the simulator (times, wrapping, event colours):
 *             kit, domain and text
 *   serving   what both HTTP servers share (tokens, bind rules, connection guards, problem+json):
 *             kit, domain and serving
 *   edges     cli, http, sim, telemetry: reach adapters only through src/wiring/
 *             (which pick them), never directly
 *   supplier  the mock supplier as a service (`warehouse supplier serve`): the service front of
 *             the mock adapter (adapters/mock-supplier), with its own clock and state (SQLite or
 *             PostgreSQL, opened by wiring/mock-state.ts); the CLI reaches the mock only through it
 *             (src/supplier/start.ts)
 *
 * No import circle, not even one made only of type imports: a type lives with the floor that owns it.
 */
const LIBRARIES_OF_ADAPTERS = ['better-sqlite3', 'drizzle-orm', 'pg', 'pg-connection-string', 'msw', 'bullmq', 'ioredis', '@opentelemetry/(?!api$)'];

module.exports = {
  forbidden: [
    {
      name: 'kit-is-the-ground-floor',
      comment: 'kit/ imports nothing of ours but kit/: every floor may lean on it, it leans on none',
      severity: 'error',
      from: { path: '^src/kit/' },
      to: { path: '^src/', pathNot: '^src/kit/' },
    },
    {
      name: 'text-is-below-the-edges',
      comment: 'text/ (how times and timelines read) imports kit/, domain/ and text/: the CLI and the simulator both lean on it',
      severity: 'error',
      from: { path: '^src/text/' },
      to: { path: '^src/', pathNot: '^src/(kit|domain|text)/' },
    },
    {
      name: 'nothing-imports-the-cli',
      comment: 'the CLI is the top floor: what it shares with others lives below it (text/, sim/, http/)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'domain-is-pure',
      comment: 'domain/ imports nothing of ours but domain/ (and zod, through kit/zod.ts): it is the functional core',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: ['^src/domain/', '^src/kit/zod\\.ts$'] },
    },
    {
      name: 'domain-imports-no-library',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'], pathNot: 'node_modules/zod/' },
    },
    {
      name: 'ports-are-interfaces',
      comment: 'ports/ import only domain/ and ports/',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/(domain|ports)/' },
    },
    {
      name: 'app-knows-only-ports',
      comment: 'app/ imports kit/, domain/, ports/ and app/: never an adapter, an edge or wiring',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/', pathNot: '^src/(kit|domain|ports|app)/' },
    },
    {
      name: 'app-imports-no-adapter-library',
      severity: 'error',
      from: { path: '^src/(app|ports|domain|kit)/' },
      to: { path: `node_modules/(${LIBRARIES_OF_ADAPTERS.join('|')})` },
    },
    {
      name: 'adapters-stay-in-their-folder',
      comment: 'an adapter imports kit/, domain/, ports/ and its own folder (config.ts for its own options)',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/', pathNot: ['^src/(kit|domain|ports)/', '^src/adapters/$1/', '^src/config\\.ts$'] },
    },
    {
      name: 'only-adapters-import-their-libraries',
      comment: 'better-sqlite3, drizzle, pg, msw, bullmq, ioredis and the OpenTelemetry SDK are imported by adapters only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/adapters/' },
      to: { path: `node_modules/(${LIBRARIES_OF_ADAPTERS.join('|')})` },
    },
    {
      name: 'sqlite-adapter-takes-drizzle-from-its-shim',
      comment:
        "the SQLite adapter's drizzle values come from adapters/sqlite/drizzle.ts (loaded through require: docs/decisions.md); an ES import of drizzle-orm would load its second build beside it",
      severity: 'error',
      from: { path: '^src/adapters/sqlite/', pathNot: '^src/adapters/sqlite/drizzle\\.ts$' },
      to: { path: 'node_modules/drizzle-orm/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'zod-from-its-shim',
      comment:
        "zod's values come from kit/zod.ts (the build's bundle: docs/decisions.md); an ES import of zod beside it would load its 95 modules for a second zod (types may come from the package)",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/kit/zod\\.ts$' },
      to: { path: 'node_modules/zod/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'edges-reach-adapters-through-wiring',
      comment: 'cli/, http/, sim/, telemetry/ and explore/ get adapters from src/wiring/ (createWarehouse, wiring/explore.ts), never import them',
      severity: 'error',
      from: { path: '^src/(cli|http|sim|telemetry|explore)/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'serving-is-the-servers-shared-floor',
      comment: 'serving/ (what http/ and supplier/ share) imports kit/, domain/ and serving/: never a server, an adapter or wiring',
      severity: 'error',
      from: { path: '^src/serving/' },
      to: { path: '^src/', pathNot: '^src/(kit|domain|serving)/' },
    },
    {
      name: 'supplier-service-is-not-the-api',
      comment: 'src/supplier/ shares with the API server only what lives in serving/: it never reaches into http/',
      severity: 'error',
      from: { path: '^src/supplier/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'supplier-service-fronts-the-mock',
      comment: 'src/supplier/ (the mock as a service) imports the mock adapter and a clock only; its state comes from wiring/mock-state.ts',
      severity: 'error',
      from: { path: '^src/supplier/' },
      to: { path: '^src/adapters/', pathNot: ['^src/adapters/mock-supplier/', '^src/adapters/clock/'] },
    },
    {
      name: 'supplier-service-takes-only-the-mock-state-from-wiring',
      comment: "src/supplier/ takes from wiring/ only the opener of the mock's state, never an engine",
      severity: 'error',
      from: { path: '^src/supplier/' },
      to: { path: '^src/wiring/', pathNot: '^src/wiring/mock-state\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'no import circle, type-only ones included: a circle of types means a type lives in the wrong file',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
