/**
 * `warehouse supplier serve` and `supplier openapi`, as the CLI calls them: the mock supplier's
 * service over a state of its own, a SQLite file or a PostgreSQL database (the service front of
 * adapters/mock-supplier; the CLI reaches the mock's adapters only through here).
 */
import { openMockStateAt } from '../wiring/mock-state.js';
import type { SupplierScript } from '../domain/supplier-script.js';
import type { LogLine } from './log.js';
import { supplierOpenApiText } from './openapi.js';
import { startSupplierService, type SupplierService } from './service.js';

export interface ServeMockOptions {
  /** SQLite file of the mock's scripts and conversations, or a postgres:// URL (its `?schema=` honoured) */
  stateFile: string;
  script?: SupplierScript;
  port: number;
  host: string;
  token?: string;
  allowedHosts?: readonly string[];
  log(line: LogLine): void;
}

/** Opens the state file (a clear DatabaseError when it is not one) and starts the service on it. */
export async function serveMockSupplier(opts: ServeMockOptions): Promise<SupplierService & { closeAll(): Promise<void> }> {
  const opened = await openMockStateAt(opts.stateFile);
  try {
    const service = await startSupplierService({
      state: opened,
      script: opts.script,
      port: opts.port,
      host: opts.host,
      token: opts.token,
      allowedHosts: opts.allowedHosts,
      log: opts.log,
    });
    return {
      ...service,
      async closeAll() {
        await service.close();
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** The supplier contract (OpenAPI 3.1), as kept in contracts/supplier.openapi.json. */
export const contractText = (): string => supplierOpenApiText();
