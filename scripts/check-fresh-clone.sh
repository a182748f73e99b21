#!/usr/bin/env bash
# Checks the README's first command on a fresh clone: `npm start` (bootstrap, build, `firebreak dev`) runs
# until the banner and stops on Ctrl-C, and afterwards `git status --porcelain` is empty (no rewritten
# package-lock.json, no stray build or data files outside .gitignore). .ci/run calls it; run it by hand with
#   bash scripts/check-fresh-clone.sh [repository]     (default: this checkout's committed HEAD)
# It installs everything from scratch into a temporary clone, so it takes minutes; the npm and pip caches
# (npm_config_cache, PIP_CACHE_DIR) are shared with the machine's, so packages are downloaded once.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_repo="${1:-$root}"
scratch="$(mktemp -d)"
clone="$scratch/firebreak"
dev_pid=""

say() { printf 'check-fresh-clone: %s\n' "$*" >&2; }
cleanup() {
  # Stop the dev stack we started (its whole process group: npm, node, the Temporal dev server).
  if [ -n "$dev_pid" ] && kill -0 "$dev_pid" 2>/dev/null; then
    kill -INT -- "-$dev_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$dev_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$dev_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

say "cloning $source_repo"
git clone --quiet "$source_repo" "$clone"
cd "$clone"

api_port="$(free_port)"
temporal_port="$(free_port)"
log="$scratch/npm-start.log"
say "npm start (API on 127.0.0.1:$api_port, Temporal on $temporal_port); output in $log while it runs"
# set -m gives the background job its own process group, so cleanup stops everything npm started.
set -m
npm start -- --port "$api_port" --temporal-port "$temporal_port" --no-ui </dev/null >"$log" 2>&1 &
dev_pid=$!
set +m

deadline=$((SECONDS + ${FRESH_CLONE_TIMEOUT:-1200}))
until grep -qs '^Firebreak is running\.' "$log"; do
  if ! kill -0 "$dev_pid" 2>/dev/null; then
    cat "$log" >&2
    say "FAIL: npm start exited before Firebreak was running"
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    cat "$log" >&2
    say "FAIL: Firebreak was not running after ${FRESH_CLONE_TIMEOUT:-1200}s"
    exit 1
  fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$api_port/healthz" >/dev/null || { say "FAIL: the API does not answer /healthz"; exit 1; }

kill -INT -- "-$dev_pid"
for _ in $(seq 1 150); do kill -0 "$dev_pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$dev_pid" 2>/dev/null; then
  say "FAIL: npm start did not stop within 30s of Ctrl-C"
  exit 1
fi
dev_pid=""

dirty="$(git status --porcelain --ignore-submodules=none)"
if [ -n "$dirty" ]; then
  printf '%s\n' "$dirty" >&2
  say "FAIL: npm start left the fresh clone dirty (above)"
  exit 1
fi
say "ok: npm start ran on a fresh clone and left it clean"
