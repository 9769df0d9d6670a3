#!/usr/bin/env bash
# Builds reconciler and pushes a simulated flash sale (orders over four shards, inventory deductions and releases,
# a few injected faults of every kind) through the engine with the RocksDB store. No database needed.
# Usage: scripts/simulate.sh [orders] [faults-per-type]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -Dstyle.color=never -pl reconciler-app -am package -DskipTests
exec java -cp "reconciler-app/target/classes:reconciler-app/target/lib/*" \
  dev.reconciler.app.simulate.FlashSaleSimulation "$@"
