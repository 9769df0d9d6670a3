#!/usr/bin/env bash
# The end-to-end benchmark (issue 13; docs/benchmarks.md): in one run on this machine, side by side on the same
# flash-sale binlog, the databases alone, bare embedded Debezium (stock and with the product's backported classes),
# the reconciler (catch-up, steady-rate latency, live burst, resources, discrepancies found vs injected) and the
# article's SQL over the same number of pairs. Prints one table, writes it into docs/benchmarks.md (its own section)
# and the raw figures into target/bench/latest.json.
#
#   scripts/bench.sh --quick                       # about two minutes after the build: small sizes, 2 passes
#   scripts/bench.sh                               # backlog 500k pairs (1M events), 3 passes, SQL at 100k and 1M
#   scripts/bench.sh --backlog 1m --passes 5 --sql-pairs 100k,1m,10m
#
# Options: --backlog PAIRS (catch-up backlog), --live PAIRS (live burst), --passes N (catch-up rounds of bare stock,
# bare same build, reconciler), --rate PAIRS_PER_S and --seconds S (steady phase), --sql-pairs N[,N...],
# --parts bare,reconciler,sql,heap,engine (which parts besides the databases; --quick leaves out heap and engine),
# --pending PAIRS (heap and restart with that many pending, default 5M), --batch ROWS (rows per INSERT),
# --json FILE, --docs FILE|none, --jfr (record a JFR profile of the bench JVM into target/bench/bench.jfr and print
# where its CPU samples went), --clock-skew DURATION (the engine's clockSkew, default 1s) and --heartbeat DURATION
# (the sources' heartbeatInterval, default 500ms): both are terms of commit → discrepancy, --debezium K=V[,K=V...]
# (connector properties for the reconciler and both bare engines, as `sources[].debezium` passes them).
# BENCH_JAVA_OPTS adds JVM options (e.g. another GC).
#
# The distributed mode (docs/scale-out.md, "Benchmark"): Kafka Streams on an in-process KRaft broker, one Streams
# instance as its own JVM draining a pre-produced backlog of change events, with 1, 2 and 4 facts partitions and as
# many stream threads; events/s, CPU per million events, the broker's CPU. No database is needed.
#
#   scripts/bench.sh --distributed                   # 100k orders (about 190k change events) per configuration
#   scripts/bench.sh --distributed --orders 300k --configs 1,2,4 --heap 1g --out target/bench/distributed.md
#   scripts/bench.sh --distributed --set commit.interval.ms=1000    # any Streams setting for the instance
#   BENCH_INSTANCE_OPTS="-XX:StartFlightRecording=filename=$PWD/target/bench/instance.jfr,settings=profile" \
#     scripts/bench.sh --distributed --configs 1      # JVM options for the Streams instance (a profile of it)
#
# Builds reconciler-app (and reconciler-core) without running tests, installs MariaDB when missing
# (scripts/local-mariadb.sh), starts two private servers on free loopback ports and removes them and every temp
# directory at the end. Measures: nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0; fi
if [ "${1:-}" = "--distributed" ]; then
  shift
  mkdir -p target/bench
  # One reactor run: the classpath then names the modules' freshly built jars (each module writes the file in
  # turn; reconciler-streams comes last).
  mvn -B -ntp -q -pl reconciler-streams -am package dependency:build-classpath -DskipTests \
    -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/target/bench/streams.classpath"
  cp="reconciler-streams/target/test-classes:reconciler-streams/target/classes:$(cat target/bench/streams.classpath)"
  # This JVM holds the broker and the backlog's producer; the Streams instance is a child JVM (--heap).
  # shellcheck disable=SC2086
  exec java -Xms1g -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$cp" dev.reconciler.streams.DistributedBench "$@"
fi
jfr=()
args=()
for a in "$@"; do
  if [ "$a" = "--jfr" ]; then jfr=(-XX:StartFlightRecording=filename=target/bench/bench.jfr,settings=profile); else args+=("$a"); fi
done
scripts/local-mariadb.sh install
# The heap/restart and JMH engine parts need reconciler-benchmarks' jar: built unless a --quick run leaves them out.
modules=reconciler-app,reconciler-benchmarks
if [[ " ${args[*]:-} " == *" --quick "* && " ${args[*]:-} " != *heap* && " ${args[*]:-} " != *engine* ]]; then
  modules=reconciler-app
fi
mvn -B -ntp -q -pl "$modules" -am package -DskipTests
mkdir -p target/bench
cp="reconciler-app/target/test-classes:reconciler-app/target/classes:reconciler-app/target/lib/*"
# G1 with a fixed 1 GiB heap: the bench JVM holds the reconciler and the bare engines in turn. Another collector
# named in BENCH_JAVA_OPTS (e.g. -XX:+UseParallelGC) replaces G1 (two would stop the JVM).
gc=-XX:+UseG1GC
if [[ " ${BENCH_JAVA_OPTS:-} " =~ -XX:\+Use[A-Za-z]+GC ]]; then gc=; fi
# shellcheck disable=SC2086
java -Xms1g -Xmx1g $gc ${BENCH_JAVA_OPTS:-} "${jfr[@]}" -cp "$cp" \
  dev.reconciler.app.source.Bench --command "scripts/bench.sh $*" "${args[@]}"
if [ ${#jfr[@]} -gt 0 ]; then java -cp "$cp" dev.reconciler.app.bench.JfrTop target/bench/bench.jfr --top 25; fi
