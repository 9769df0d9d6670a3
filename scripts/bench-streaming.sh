#!/usr/bin/env bash
# Streaming benchmark: two private MariaDB servers, embedded Debezium, the engine on RocksDB. Prints events/s
# (live, catch-up) and commit-to-matched latency (p50/p90/p99) at a steady rate; see docs/benchmarks.md.
#
#   scripts/bench-streaming.sh [--pairs 100000] [--backlog 50000] [--batch 1000] [--rate 1000] [--seconds 20]
#
# Builds reconciler-app (and reconciler-core) without running tests, then runs the benchmark's main class from the
# test classes. Takes two to three minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/local-mariadb.sh install
mvn -B -ntp -q -pl reconciler-app -am package -DskipTests
exec java -Xmx1g -cp "reconciler-app/target/test-classes:reconciler-app/target/classes:reconciler-app/target/lib/*" \
  dev.reconciler.app.source.StreamingBenchmark "$@"
