#!/usr/bin/env bash
# Runs the whole test suite from a clean clone: installs what the tests need when it is missing, then builds and
# tests every module. This is the command README.md names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${need_apt[*]}: install them (apt-get install ${need_apt[*]}) or run this script as root" >&2
    exit 1
  fi
  echo "installing ${need_apt[*]} ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The integration tests start private MariaDB servers (binlog on) with scripts/local-mariadb.sh; install the server
# now (apt, as root) rather than in the middle of a test.
scripts/local-mariadb.sh install

# The deploy/ tests check and unit-test the Prometheus alert rules and the dashboard's queries with promtool (Debian
# package prometheus); install it when missing (as root).
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing promtool: install it (apt-get install prometheus) or run this script as root" >&2
    exit 1
  fi
  echo "installing prometheus (for promtool) ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # Debian's package may start a Prometheus service; the tests need only the promtool binary.
  if command -v service >/dev/null 2>&1; then service prometheus stop >/dev/null 2>&1 || true; fi
fi

# One alert test runs a real Alertmanager on a free loopback port; install Debian's package when it is missing
# (apt, as root).
if ! command -v prometheus-alertmanager >/dev/null 2>&1 && ! command -v alertmanager >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing prometheus-alertmanager: install it (apt-get install prometheus-alertmanager) or run this script as root" >&2
    exit 1
  fi
  echo "installing prometheus-alertmanager ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    prometheus-alertmanager >/dev/null
  # the package may start a service of its own; the test starts a private one
  if command -v service >/dev/null 2>&1; then service prometheus-alertmanager stop >/dev/null 2>&1 || true; fi
fi

# -B: no colours or progress in CI logs; verify runs unit, contract, property and integration tests.
exec mvn -B -ntp verify "$@"
