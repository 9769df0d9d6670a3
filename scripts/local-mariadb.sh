#!/usr/bin/env bash
# Starts and stops private MariaDB instances with the binlog on, for tests, the demo and CI.
#
#   scripts/local-mariadb.sh start DIR [PORT] [SERVER_ID] [EXTRA_MARIADBD_ARGS...]
#       Initialises DIR (when new) and starts mariadbd on 127.0.0.1:PORT (a free port when PORT is empty or 0)
#       with log-bin, binlog_format=ROW, binlog_row_image=FULL and the given server id. Prints the port.
#       Writes DIR/port and DIR/mysqld.pid. Root may log in over TCP with an empty password.
#   scripts/local-mariadb.sh stop DIR
#       Stops the instance started in DIR (waits for it to exit). DIR is left for the caller to remove.
#   scripts/local-mariadb.sh install
#       Installs mariadb-server from apt when no server binary exists (needs root).
#
# Works as root (mariadbd --user=root) or as a normal user. Every instance uses --no-defaults, so the machine's
# /etc/mysql settings never leak in.
set -euo pipefail

find_bin() {
  for b in "$@"; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
    for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      if [ -x "$d/$b" ]; then echo "$d/$b"; return 0; fi
    done
  done
  return 1
}

install_server() {
  if find_bin mariadbd mysqld >/dev/null && find_bin mariadb-install-db mysql_install_db >/dev/null; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "local-mariadb: no MariaDB server found; install it (sudo apt-get install mariadb-server) or run as root" >&2
    exit 1
  fi
  echo "local-mariadb: installing mariadb-server from apt ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
  # Debian's package may start no service here; if it did, stop it: our instances are private.
  if command -v service >/dev/null 2>&1; then service mariadb stop >/dev/null 2>&1 || true; fi
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "local-mariadb: found no free port" >&2
  return 1
}

start() {
  local dir=$1 port=${2:-0} server_id=${3:-1}
  shift 3 || shift $#
  install_server
  local mariadbd install_db admin
  mariadbd=$(find_bin mariadbd mysqld)
  install_db=$(find_bin mariadb-install-db mysql_install_db)
  admin=$(find_bin mariadb-admin mysqladmin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local as_root=()
  [ "$(id -u)" -eq 0 ] && as_root=(--user=root)
  if [ ! -d "$dir/data/mysql" ]; then
    mkdir -p "$dir/binlog"
    # The bootstrap server of mariadb-install-db has been seen to fail once in a while when several start at the
    # same moment on a loaded machine; a fresh data directory and a second try get past it.
    local attempt
    for attempt in 1 2 3; do
      rm -rf "$dir/data" && mkdir -p "$dir/data"
      if "$install_db" --no-defaults "${as_root[@]}" --datadir="$dir/data" \
          --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >"$dir/install.log" 2>&1; then
        break
      fi
      if [ "$attempt" = 3 ]; then
        echo "local-mariadb: mariadb-install-db failed 3 times, see $dir/install.log:" >&2
        { grep -iE "error|fatal|abort" "$dir/install.log" || tail -5 "$dir/install.log"; } | tail -8 >&2
        exit 1
      fi
      cp "$dir/install.log" "$dir/install-attempt-$attempt.log"
      sleep 1
    done
  fi
  local auto_port=0
  if [ "$port" = "0" ] || [ -z "$port" ]; then auto_port=1; fi
  # A port found free can be taken by another process (another test's server) before mariadbd binds it: with a port
  # of our choosing, try another one; and only a server whose datadir is ours counts as started.
  local try
  for try in 1 2 3 4 5; do
    [ "$auto_port" = 1 ] && port=$(free_port)
    : >"$dir/error.log"
    "$mariadbd" --no-defaults "${as_root[@]}" --datadir="$dir/data" --port="$port" --bind-address=127.0.0.1 \
      --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
      --server-id="$server_id" --log-bin="$dir/binlog/mariadb-bin" --binlog-format=ROW --binlog-row-image=FULL \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --skip-name-resolve \
      --innodb-buffer-pool-size=128M --innodb-log-file-size=48M --max-connections=200 "$@" \
      >/dev/null 2>&1 </dev/null &
    local pid=$!
    local i
    for i in $(seq 1 150); do
      if ! kill -0 "$pid" 2>/dev/null; then
        if [ "$auto_port" = 1 ] && grep -qiE "address already in use|bind on tcp/ip port" "$dir/error.log"; then
          continue 2   # the port was taken meanwhile: another one
        fi
        echo "local-mariadb: mariadbd exited at start, see $dir/error.log:" >&2; tail -5 "$dir/error.log" >&2; exit 1
      fi
      local datadir
      datadir=$("$admin" --no-defaults -uroot -h127.0.0.1 -P"$port" --connect-timeout=1 variables 2>/dev/null \
        | awk -F'|' '$2 ~ /^ *datadir *$/ {gsub(/ /, "", $3); print $3}' || true)
      if [ "${datadir%/}" = "$dir/data" ]; then
        echo "$port" >"$dir/port"
        echo "$port"
        return 0
      fi
      sleep 0.2
    done
    echo "local-mariadb: mariadbd did not answer on port $port within 30 s, see $dir/error.log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  done
  echo "local-mariadb: no free port after 5 tries" >&2
  exit 1
}

stop() {
  local dir=$1
  [ -f "$dir/mysqld.pid" ] || return 0
  local pid
  pid=$(cat "$dir/mysqld.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$dir/mysqld.pid"; return 0; }
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/mysqld.pid"
}

case "${1:-}" in
  start) shift; [ $# -ge 1 ] || { echo "usage: $0 start DIR [PORT] [SERVER_ID] [ARGS...]" >&2; exit 2; }; start "$@" ;;
  stop) shift; [ $# -ge 1 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$1" ;;
  install) install_server ;;
  *) echo "usage: $0 start DIR [PORT] [SERVER_ID] [ARGS...] | stop DIR | install" >&2; exit 2 ;;
esac
