#!/usr/bin/env bash
# Starts the real servers the test suite talks to (installing them with apt-get when missing):
# PostgreSQL, for the engine's PostgreSQL tests; chromium, for the console's browser tests; Node.js
# with tests/s3/js's packages (the JavaScript SDK tests); HAProxy (the deployment's load balancer
# config); redis-server, which tests/distributed starts on ports of its own (installed only).
# Prints the environment to export.
set -euo pipefail

have_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  if have_root; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "$@" >/dev/null
  else
    echo "test-services: need root to apt-get install $*" >&2
    return 1
  fi
}

# libsdformat's checker (`ign sdf -k`), for the exported Gazebo worlds ----------------------------
if ! command -v ign >/dev/null 2>&1 || ! ign sdf --help >/dev/null 2>&1; then
  apt_install libsdformat-dev sdformat-sdf ignition-tools >&2
fi

# Debian's chromium, which tests/console drives through Playwright --------------------------------
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium >&2
fi

# Node.js and the JavaScript SDK (tests/s3/js, tests/server/js: `npm ci` of their pinned locks) ---
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm >&2
fi
for js_tests in "$(dirname "$0")/../tests/s3/js" "$(dirname "$0")/../tests/server/js"; do
  if [ ! -d "$js_tests/node_modules/@aws-sdk" ]; then
    (cd "$js_tests" && npm ci --no-audit --no-fund) >&2
  fi
done

# HAProxy, for tests/tooling/test_load_balancer.py (deploy/haproxy.cfg in front of two servers) -----
if ! command -v haproxy >/dev/null 2>&1; then
  apt_install haproxy >&2
fi

# Redis (tests/distributed runs its own redis-server per test module) -----------------------------
if ! command -v redis-server >/dev/null 2>&1; then
  apt_install redis-server >&2
fi

# PostgreSQL ------------------------------------------------------------------------------------
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt_install postgresql >&2
fi
if command -v pg_lsclusters >/dev/null 2>&1; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h | grep -q "^$version main"; then
    pg_createcluster "$version" main >&2
  fi
  pg_ctlcluster "$version" main start >&2 2>/dev/null || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 0.5
  done
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='jobforge'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE ROLE jobforge LOGIN SUPERUSER PASSWORD 'jobforge'\"" >&2
  echo "export JOBFORGE_TEST_POSTGRES_URL=postgresql+psycopg://jobforge:jobforge@127.0.0.1:5432/postgres"
fi
