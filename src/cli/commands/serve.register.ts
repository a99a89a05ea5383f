/** Declares `warehouse serve` (options only; the action module loads lazily). */
import type { Command } from 'commander';
import type { Run } from '../main.js';

export function registerServe(program: Command, run: Run): void {
  void program;
  void run;
}
