/**
 * The in-process event bus (its events: ports/bus.ts). Listeners run synchronously after the
 * change they describe has committed; a throwing listener is reported, never allowed to break the
 * runner or the request that emitted the event.
 */
import type { Bus, BusEvents, BusListener } from '../ports/bus.js';
import type { Resumed } from '../ports/driver.js';

export type { Bus, BusEvents, BusListener } from '../ports/bus.js';

export function createBus(): Bus {
  const listeners = new Map<keyof BusEvents, Set<(payload: never) => void>>();
  const bus: Bus = {
    on(type, listener) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    emit(type, payload) {
      const set = listeners.get(type);
      if (!set) return;
      for (const listener of set) {
        try {
          (listener as BusListener<typeof type>)(payload);
        } catch (error) {
          if (type === 'listener:error') continue;
          bus.emit('listener:error', { event: type, error });
        }
      }
    },
  };
  return bus;
}

/**
 * Jobs put back on the queue (by an operator, or after the database's trouble): their JobResumed
 * events on the orders' timelines, and the jobs enqueued (which wakes the drivers and relays).
 */
export function publishResumed(bus: Bus, resumed: Resumed): void {
  for (const { event } of resumed) bus.emit('order:event', event);
  if (resumed.length > 0) bus.emit('job:enqueued', { jobIds: resumed.map((r) => r.job.id) });
}
