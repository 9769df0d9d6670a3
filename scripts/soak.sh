#!/usr/bin/env bash
# Crash soak (issue 12, docs/reliability.md "Crash soak"): `reconciler run` under steady flash-sale traffic with
# injected faults into two private MariaDB servers, with a webhook receiver (refusing a share of the deliveries) and a
# real Alertmanager attached, killed with SIGKILL at moments drawn from the seed. After the last restart and
# quiescence it compares the open discrepancies with a batch join of the final tables (the article's SQL1/SQL2 and
# the cancel rule's equivalent), checks that every alert transition was delivered with one content, and that
# Alertmanager fires exactly the open ones. Prints a table per kill and the totals, writes them to
# <work dir>/soak-result.txt, and exits 1 on any loss, false alarm, undelivered or altered alert, or stuck restart.
#
#   scripts/soak.sh [--kills 20] [--duration 5m] [--rate 50] [--fault-rate 0.05] [--receiver-failure-rate 0.05]
#                   [--seed N]
#
# Needs MariaDB 10.11 (scripts/local-mariadb.sh) and prometheus-alertmanager (apt). Builds reconciler-app (and
# reconciler-core) without running tests, then runs the soak's main class from the test classes. The defaults take
# ten to fifteen minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/local-mariadb.sh install
if ! command -v prometheus-alertmanager >/dev/null && ! command -v alertmanager >/dev/null; then
  echo "soak: prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)" >&2
  exit 2
fi
# The test class path (the soak runs from the test classes: receiver, Alertmanager launcher, oracle).
mvn -B -ntp -q ${MVN_FLAGS:-} -pl reconciler-app -am package -DskipTests dependency:build-classpath \
  -Dmdep.outputFile=target/soak-classpath.txt   # MVN_FLAGS=-o: offline
cd reconciler-app   # the soak starts `reconciler run` from target/classes and reads ../deploy/config
exec java -Xmx512m -cp "target/test-classes:target/classes:$(cat target/soak-classpath.txt)" \
  dev.reconciler.app.runtime.CrashSoak "$@"
