/**
 * The supplier's script from the dashboard: PUT /api/supplier/scripts/{sku} sets what each new
 * conversation of that SKU's orders answers (docs/design.md §5.3), GET /api/supplier/scripts lists what was
 * set through this API since the server started.
 *
 * In-process (no --supplier-url) the mock is scripted directly. With --supplier-url the request
 * is forwarded to the supplier service as PUT {url}/mock/scripts/{sku} with the same JSON body,
 * which is what `warehouse supplier serve` offers; any other supplier answers that with an error,
 * reported as 502.
 */
import type { SkuScript } from '../../domain/supplier-script.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { HttpProblem, problem } from '../errors.js';
import { ANY_REQUEST, ok, PUBLIC, WRITE_ERRORS, WRITE_SECURITY } from '../schemas.js';
import type { ZodApp } from '../types.js';
import type { EventHub } from './events.js';
import { problemResponse, scriptSkuParams, supplierScriptBody, supplierScriptSchema, supplierScriptsSchema } from './teaching-schemas.js';

export interface ScriptTarget {
  mock: Warehouse['mock'];
  supplierUrl?: string;
  /** the supplier service's bearer token (WAREHOUSE_SUPPLIER_TOKEN), sent with the script */
  supplierToken?: string;
}

/**
 * The one place the dashboard scripts the supplier (re-point it here when the mock changes):
 * the in-process mock's script(), or the supplier service's PUT /mock/scripts/{sku}.
 */
export async function applySupplierScript(target: ScriptTarget, sku: string, script: SkuScript): Promise<void> {
  if (target.mock) {
    await target.mock.setScript(sku, script);
    return;
  }
  if (!target.supplierUrl) throw new HttpProblem(problem(409, 'this server has no supplier to script'));
  const url = new URL(`mock/scripts/${encodeURIComponent(sku)}`, target.supplierUrl.endsWith('/') ? target.supplierUrl : `${target.supplierUrl}/`);
  let status: number;
  try {
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(target.supplierToken ? { authorization: `Bearer ${target.supplierToken}` } : {}) },
      body: JSON.stringify(script),
      signal: AbortSignal.timeout(5_000),
    });
    status = res.status;
    await res.body?.cancel();
  } catch (error) {
    throw new HttpProblem(problem(502, `the supplier service at ${target.supplierUrl} did not answer PUT ${url.pathname}: ${(error as Error).message}`));
  }
  if (status === 401 || status === 429) {
    throw new HttpProblem(
      problem(
        502,
        `the supplier service at ${target.supplierUrl} answered ${status} to PUT ${url.pathname}: it wants a bearer token this server ${target.supplierToken ? 'has wrong' : 'was not given'}; start it with the supplier's token (WAREHOUSE_SUPPLIER_TOKEN)`,
      ),
    );
  }
  if (status < 200 || status > 299) {
    throw new HttpProblem(
      problem(
        502,
        `the supplier service at ${target.supplierUrl} answered ${status} to PUT ${url.pathname}; only \`warehouse supplier serve\` can be scripted`,
      ),
    );
  }
}

export function supplierScriptRoutes(
  app: ZodApp,
  { warehouse: w, supplierUrl, supplierToken, hub }: { warehouse: Warehouse; supplierUrl?: string; supplierToken?: string; hub: EventHub },
): void {
  const set = new Map<string, { sku: string; reserve: string[]; status: string[] }>();
  const kind = () => (w.mock ? ('mock' as const) : ('service' as const));

  app.get(
    '/api/supplier/scripts',
    {
      schema: {
        operationId: 'listSupplierScripts',
        summary: 'The supplier scripts set through this API since the server started',
        description:
          'Per SKU (or * for every other SKU), the reserve and status answers set through PUT /api/supplier/scripts/{sku} since this server started; scripts set elsewhere (a flag, the supplier service) are not listed.',
        tags: ['teaching'],
        security: PUBLIC,
        response: { 200: ok('which supplier this server scripts, and the scripts set', supplierScriptsSchema), ...ANY_REQUEST },
      },
    },
    async () => ({ supplier: kind(), scripts: [...set.values()] as Array<{ sku: string; reserve: never[]; status: never[] }> }),
  );

  app.put(
    '/api/supplier/scripts/:sku',
    {
      schema: {
        operationId: 'setSupplierScript',
        summary: "Script the supplier's answers for a SKU's orders (each order's conversation starts at the top; the last answer repeats)",
        description: 'Idempotent by nature: the same script twice leaves the same script.',
        tags: ['teaching'],
        security: WRITE_SECURITY,
        params: scriptSkuParams,
        body: supplierScriptBody,
        response: {
          200: ok('the script now in force for the SKU', supplierScriptSchema),
          409: problemResponse('this server has no supplier to script'),
          502: problemResponse('the supplier service at --supplier-url cannot be scripted (it is not `warehouse supplier serve`), or did not answer'),
          ...WRITE_ERRORS,
        },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const script: SkuScript = {
        ...(request.body.reserve ? { reserve: request.body.reserve as SkuScript['reserve'] } : {}),
        ...(request.body.status ? { status: request.body.status as SkuScript['status'] } : {}),
      };
      await applySupplierScript({ mock: w.mock, supplierUrl, supplierToken }, sku, script);
      const shown = { sku, reserve: (request.body.reserve ?? ['accepted']) as never[], status: (request.body.status ?? ['ok']) as never[] };
      set.set(sku, shown);
      hub.publish('supplier:script', shown);
      return shown;
    },
  );
}
