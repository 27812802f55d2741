#!/usr/bin/env bash
# Quick start: install what tui-backup needs (Debian/Ubuntu), then open the terminal app on
# a demo profile. Safe to run again: it installs only what is missing.
# Arguments are passed to `tui-backup demo` (e.g. --dir DIR, --no-open).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages restic rsync sqlite3 zstd
ensure_venv
exec "$VENV/bin/tui-backup" demo "$@"
