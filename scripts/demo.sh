#!/usr/bin/env bash
# Builds the distribution (reconciler-app/target/reconciler: bin/reconciler, lib/) and runs the demo: two private
# MariaDB servers, a flash sale with injected faults, the reconciler with a live view. Arguments go to the demo,
# e.g. scripts/demo.sh --duration 2m. MariaDB is installed from apt when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/local-mariadb.sh install
mvn -B -q -ntp -Dstyle.color=never -pl reconciler-app -am package -DskipTests
exec reconciler-app/target/reconciler/bin/reconciler demo "$@"
