/**
 * A member of `warehouse up` (the supplier service, `serve`, each `work`) stops when the `up` that
 * started it is gone, however it went: `up` stops its members in order on Ctrl-C or SIGTERM, but a
 * SIGKILL (or a crash) gives it no chance to, and its members would run on unwatched, holding the
 * port, the database and their jobs' leases. `up` marks its members with
 * WAREHOUSE_STOP_WITH_PARENT=1; such a process looks at its parent every second and, once it has
 * been re-parented (its parent died), sends itself SIGTERM: the same graceful stop as `up`'s own.
 */
const EVERY_MS = 1_000;

export function stopWithParent(env: NodeJS.ProcessEnv, stderr: { write(text: string): unknown }): void {
  if (env.WAREHOUSE_STOP_WITH_PARENT !== '1') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stderr.write(`the warehouse up that started this process (pid ${parent}) is gone: stopping\n`);
    process.kill(process.pid, 'SIGTERM');
  }, EVERY_MS);
  // never what keeps a process alive
  timer.unref();
}
