#!/usr/bin/env bash
# Runs the whole test suite from a clean clone: installs what the tests need when it is missing, then builds and
# tests every module. This is the command README.md names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# apt_install WHAT APT-ARGS...: installs from apt as root; tells anyone else what to install, and stops.
apt_install() {
  local what=$1
  shift
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing $what: install it (apt-get install $*) or run this script as root" >&2
    exit 1
  fi
  echo "installing $what ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# stop_service NAME: Debian packages may start a service of their own; the tests start private instances.
stop_service() {
  if command -v service >/dev/null 2>&1; then service "$1" stop >/dev/null 2>&1 || true; fi
}

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if [ ${#need_apt[@]} -gt 0 ]; then apt_install "${need_apt[*]}" "${need_apt[@]}"; fi

# The integration tests start private MariaDB servers (binlog on) with scripts/local-mariadb.sh; install the server
# now (apt, as root) rather than in the middle of a test.
scripts/local-mariadb.sh install

# The deploy/ tests check and unit-test the Prometheus alert rules and the dashboard's queries with promtool (Debian
# package prometheus).
if ! command -v promtool >/dev/null 2>&1; then
  apt_install promtool --no-install-recommends prometheus
  stop_service prometheus
fi

# One alert test runs a real Alertmanager on a free loopback port.
if ! command -v prometheus-alertmanager >/dev/null 2>&1 && ! command -v alertmanager >/dev/null 2>&1; then
  apt_install prometheus-alertmanager --no-install-recommends prometheus-alertmanager
  stop_service prometheus-alertmanager
fi

# The web console's browser tests (ConsoleBrowserTest) drive headless Chromium through its chromedriver; both from
# Debian, never a browser downloaded at run time.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt_install "chromium and chromium-driver" chromium chromium-driver
fi

# The Kubernetes manifests are rendered with `kubectl kustomize` (Debian package kubernetes-client when no kubectl
# is on the machine) and validated against the Kubernetes schemas by a test. The overlay of docs/deploy.md uses
# `patches:`, which needs kubectl 1.21 or later (Debian 12's kubernetes-client is 1.20: it renders the base only).
if ! command -v kubectl >/dev/null 2>&1; then
  apt_install kubectl --no-install-recommends kubernetes-client
fi

# The Dockerfile is linted with dockerfile-utils (npm; the linter behind the Docker language server): hadolint is
# packaged neither for Debian nor npm. npm (from Debian when missing) installs it globally as root.
if ! command -v dockerfile-utils >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    apt_install npm --no-install-recommends nodejs npm
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing dockerfile-utils: install it (npm install -g dockerfile-utils@0.16.3) or run this script as root" >&2
    exit 1
  fi
  echo "installing dockerfile-utils ..."
  npm install -g --silent --no-audit --no-fund dockerfile-utils@0.16.3 >/dev/null
fi

# -B: no colours or progress in CI logs; verify runs unit, contract, property and integration tests.
exec mvn -B -ntp verify "$@"
