/** The engine's bus as seen by a driver of an external queue (ports/driver.ts, DriverEvents). */
import { publishResumed, type Bus } from '../app/bus.js';
import type { DriverEvents } from '../ports/driver.js';
import type { ClaimedJob } from '../ports/queue.js';

export function driverEventsOf(bus: Bus): DriverEvents {
  return {
    onJobsToRelay(listener) {
      const offs = [bus.on('job:enqueued', listener), bus.on('job:retry', listener)];
      return () => {
        for (const off of offs) off();
      };
    },
    onUnsettled(listener) {
      // the executor reports the claimed job, lease included
      return bus.on('job:unsettled', ({ job }) => {
        const token = (job as Partial<ClaimedJob>).lease?.token;
        if (token) listener(token);
      });
    },
    stateChanged: (state, reason, at) => bus.emit('runner:state', { state, reason, at }),
    resumed: (resumed) => publishResumed(bus, resumed),
    failed: (event, error) => bus.emit('listener:error', { event, error }),
  };
}
