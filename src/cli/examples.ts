/**
 * The examples each command's `--help` ends with (the way `gh` shows them): one or two real
 * command lines per command, keyed by the command's path. Plain strings, so `--help` stays cheap.
 * test/cli/help.test.ts checks every command has some, and that each names its own command.
 */
export const EXAMPLES: Record<string, string[]> = {
  '': ['warehouse demo --dashboard', 'warehouse inventory set WIDGET 10', 'warehouse order create --sku WIDGET --qty 3', 'warehouse simulate scenarios/'],
  inventory: ['warehouse inventory list', 'warehouse inventory movements WIDGET'],
  'inventory set': ['warehouse inventory set WIDGET 10          # a stock count: on-hand becomes 10'],
  'inventory add': ['warehouse inventory add WIDGET 5           # a delivery: on-hand grows by 5'],
  'inventory list': ['warehouse inventory list', 'warehouse --json inventory list'],
  'inventory movements': ['warehouse inventory movements WIDGET'],
  order: ['warehouse order create --sku WIDGET --qty 3', 'warehouse order show 1', 'warehouse order explain 1'],
  'order create': [
    'warehouse order create --sku WIDGET --qty 3',
    'warehouse order create --sku WIDGET --qty 30 --clock virtual --supplier-status delayed,delayed,ok',
    'warehouse order create --sku WIDGET --qty 3 --reservation-ttl 15m   # released unless fulfilled within 15 minutes',
  ],
  'order show': ['warehouse order show 1', 'warehouse order show 1 --format md > order-1.md   # for slides and print'],
  'order explain': ['warehouse order explain 2', 'warehouse --json order explain 2'],
  'order cancel': ['warehouse order cancel 1', 'warehouse --json order cancel 1   # exit 1 when the order is final'],
  'order fulfil': ['warehouse order fulfil 1', 'warehouse --json order fulfil 1   # exit 1 unless the order is reserved'],
  'order list': ['warehouse order list --status failed', 'warehouse --json order list --limit 20'],
  work: [
    'warehouse work --until-idle                # run what is due now, then stop',
    'warehouse work --clock virtual             # run until Ctrl-C, skipping the waits',
    'warehouse work --database postgres://127.0.0.1/test --queue redis://127.0.0.1:6379',
  ],
  up: [
    'warehouse up --workers 2                   # SQLite and the in-database queue',
    'warehouse up --database postgres://127.0.0.1/test --queue redis://127.0.0.1:6379 --workers 4',
  ],
  backup: ['warehouse backup backups/warehouse-2026-11-26.db', 'warehouse --db other.db backup other-copy.db'],
  check: ['warehouse check', 'warehouse --db other.db check', 'warehouse --database postgres://127.0.0.1/test check'],
  serve: [
    'warehouse serve --check-delay 1s',
    "warehouse serve --clock virtual            # for a class: the dashboard's controls move time",
    'warehouse serve --port 0                   # any free port; the URL is printed',
    'warehouse serve --queue redis://127.0.0.1:6379   # jobs on BullMQ; `warehouse work --queue …` runs them too',
  ],
  simulate: [
    'warehouse simulate scenarios/',
    'warehouse simulate scenarios/delayed-twice.yaml --timeline',
    'warehouse simulate --strict --junit report.xml scenarios/',
  ],
  explore: [
    'warehouse explore scenarios/lessons/the-lock.yaml --reserve-strategy naive',
    'warehouse explore scenarios/lessons/the-outbox.yaml --break outbox --crashes',
    'warehouse explore scenarios/ scenarios/lessons/ --crashes --no-expect',
  ],
  supplier: ['warehouse supplier serve', 'warehouse supplier openapi > supplier.openapi.json'],
  'supplier serve': [
    'warehouse supplier serve --port 4010 --script supplier.yaml',
    'warehouse supplier serve --state ./supplier.db   # then: warehouse --supplier-url http://127.0.0.1:4010 work',
  ],
  'supplier openapi': ['warehouse supplier openapi'],
  demo: [
    'warehouse demo --dashboard                 # the built-in tour, with the live dashboard',
    'warehouse demo --auto --pace 5s            # no Enter needed: one moment every 5 s',
    'warehouse demo scenarios/delayed-twice.yaml',
  ],
  trace: [
    'warehouse order create --sku X --qty 30 --clock virtual --supplier-status delayed,ok --trace-file t.jsonl',
    'warehouse trace 1 --trace-file t.jsonl',
    'warehouse --json trace 1 --trace-file t.jsonl',
  ],
  stats: ['warehouse stats', 'warehouse --json stats', 'warehouse --db other.db stats'],
  jobs: ['warehouse jobs list', 'warehouse jobs failed'],
  'jobs list': ['warehouse jobs list'],
  'jobs failed': ['warehouse jobs failed'],
  'jobs resume': ['warehouse jobs resume 12', 'warehouse jobs resume --all && warehouse work --until-idle'],
  'jobs retry': ['warehouse jobs retry 1', 'warehouse jobs retry --all && warehouse work --until-idle'],
  token: ['warehouse token create --name shop --scope orders:write,read', 'warehouse token list', 'warehouse token revoke shop'],
  'token create': [
    'warehouse token create --name shop --scope orders:write,read',
    'warehouse token create --name ops --scope read,orders:write,stock:write,ops:write',
    'warehouse --json token create --name teacher --scope ops:write',
  ],
  'token list': ['warehouse token list', 'warehouse --json token list'],
  'token revoke': ['warehouse token revoke shop'],
};

/** The text commander prints after a command's help. */
export const examplesText = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
