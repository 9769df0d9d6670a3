#!/usr/bin/env bash
# Verify benchmark: two private MariaDB servers, N matched pairs read by the reconciler, a few rows written with
# sql_log_bin=0, then `reconciler verify` over the window. Prints generation and verify wall time, CPU (the
# verifier's JVM and the two database servers), rows read per second and peak heap; see docs/benchmarks.md.
#
#   scripts/bench-verify.sh [--pairs 1000000] [--faults 100] [--page-rows 2000] [--rows-per-second 0]
#
# Builds reconciler-app (and reconciler-core) without running tests, then runs the benchmark's main class from the
# test classes. HEAP sets the JVM's maximum heap (default 512m). Takes about ten minutes at 1M pairs on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/local-mariadb.sh install
mvn -B -ntp -q -pl reconciler-app -am package -DskipTests
exec java "-Xmx${HEAP:-512m}" -cp "reconciler-app/target/test-classes:reconciler-app/target/classes:reconciler-app/target/lib/*" \
  dev.reconciler.app.source.VerifyBenchmark "$@"
