#!/usr/bin/env bash
# Outage drill: the database restart / kill -9 / network cut / failover scenarios of DatabaseRestartAndFailoverTest
# with long outages, on private MariaDB servers (see docs/failover.md). Prints, per outage and event, the
# time to detect, the time to recover, false alarms and facts lost.
#
#   scripts/outage-drill.sh [--cases PATTERN] [SECONDS...]      (default: 15 140)
#
#   --cases PATTERN   test methods to run, a Surefire pattern (default: all five), e.g. 'aKilled*+aNetworkCut*'
#
# Each outage length runs the scenarios once; with 140 s expect about three minutes per scenario. The figures
# table is also left in target/outage-drill-SECONDS.log.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=""
outages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) cases="#$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) outages+=("$1"); shift ;;
  esac
done
[ ${#outages[@]} -gt 0 ] || outages=(15 140)
scripts/local-mariadb.sh install
mkdir -p target
status=0
for seconds in "${outages[@]}"; do
  case "$seconds" in ''|*[!0-9]*) echo "outage-drill: '$seconds' is not a number of seconds" >&2; exit 2 ;; esac
  log="target/outage-drill-$seconds.log"
  echo "== outages of $seconds s (log: $log)"
  if ! mvn -B -ntp -q -pl reconciler-app -am verify "-Dtest=DatabaseRestartAndFailoverTest$cases" \
      -Dsurefire.failIfNoSpecifiedTests=false "-Dreconciler.outage=$seconds" >"$log" 2>&1; then
    status=1
    echo "outage-drill: scenarios failed at $seconds s; see $log" >&2
  fi
  sed -n '/^event | source reported/,/^\[/p' "$log" | grep '|' || true
done
exit $status
