/**
 * What a command is, for the registry (main.ts) and the files that declare commands
 * (commands/*.register.ts): an action loaded lazily, the wrapper that turns it into a commander
 * handler, and the signature of a registration. A registration reads the environment it is given
 * (the Io's `env`, one seam for tests and the process alike), never `process.env`.
 */
import type { Command } from 'commander';
import type { Ctx, Io } from './context.js';

export type Action = (ctx: Ctx, args: string[], opts: Record<string, unknown>) => Promise<number>;
export type Loader = () => Promise<Action>;
/** wraps a lazily loaded action as a commander action handler */
export type Run = (load: Loader) => (this: Command, ...args: unknown[]) => Promise<void>;
/** the environment a command's defaults come from (WAREHOUSE_PORT, REDIS_URL, ...) */
export type Env = Io['env'];
/** declares one command (options only; its action module loads lazily) */
export type Register = (program: Command, run: Run, env: Env) => void;
