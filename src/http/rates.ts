/**
 * "last minute: N done · N retried · N dead-lettered" for the dashboard's queue panel, counted on
 * the server (a page that counted the events it saw said 13 during a story and 0 after a reload):
 * the jobs completed, retried and dead-lettered in the last minute of the engine's clock (so a
 * paused virtual clock keeps its last minute, as the rest of the page does).
 */
import type { Warehouse } from '../wiring/warehouse.js';

export const RATE_WINDOW_MS = 60_000;

export interface JobRates {
  complete: number;
  retry: number;
  dead: number;
}

export function createJobRates(w: Pick<Warehouse, 'bus' | 'clock'>): { lastMinute(): JobRates; stop(): void } {
  const seen: Record<keyof JobRates, number[]> = { complete: [], retry: [], dead: [] };
  const prune = (now: number) => {
    for (const times of Object.values(seen)) {
      let drop = 0;
      while (drop < times.length && times[drop]! <= now - RATE_WINDOW_MS) drop++;
      if (drop) times.splice(0, drop);
    }
  };
  const note = (kind: keyof JobRates) => () => {
    const now = w.clock.now();
    seen[kind].push(now);
    prune(now);
  };
  const off = [w.bus.on('job:complete', note('complete')), w.bus.on('job:retry', note('retry')), w.bus.on('job:dead', note('dead'))];
  return {
    lastMinute() {
      const now = w.clock.now();
      // a clock moved back (a paced clock never is; a real one may be set back): count what is in the window
      const count = (times: number[]) => times.filter((t) => t > now - RATE_WINDOW_MS && t <= now).length;
      prune(now);
      return { complete: count(seen.complete), retry: count(seen.retry), dead: count(seen.dead) };
    },
    stop: () => {
      for (const f of off) f();
    },
  };
}
