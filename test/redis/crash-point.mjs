/**
 * A crash point for the dual-write tests, in the test build only: loaded into a process with
 * `node --import` (NODE_OPTIONS), it kills that process with SIGKILL at the relay's hand-off to
 * BullMQ, chosen by WAREHOUSE_TEST_CRASH=<when>:<job type>:
 *   before-add: the order and its job are committed, nothing was handed to Redis yet
 *   after-add:  the job is in Redis, the relay never marked the row relayed
 * Production code has no hook for it: this patches BullMQ's Queue.addBulk, which only the relay calls.
 */
import { Queue } from 'bullmq';

const [when, type] = (process.env.WAREHOUSE_TEST_CRASH ?? '').split(':');
const addBulk = Queue.prototype.addBulk;
Queue.prototype.addBulk = async function (jobs) {
  const hit = jobs.some((j) => !type || j.name === type);
  if (hit && when === 'before-add') process.kill(process.pid, 'SIGKILL');
  const added = await addBulk.call(this, jobs);
  if (hit && when === 'after-add') process.kill(process.pid, 'SIGKILL');
  return added;
};
