#!/usr/bin/env bash
# Install everything the tests need (Debian/Ubuntu), then run the full suite: ruff, mypy,
# pytest. Safe to run again: it installs only what is missing. This is what CI runs.
# Arguments are passed to pytest (e.g. -x, -k NAME, tests/cli).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages restic rsync sqlite3 zstd openssh-server openssh-client postgresql tmux systemd cron
ensure_venv dev
cd "$REPO_ROOT"
say "ruff check"
"$VENV/bin/ruff" check
say "mypy tui_backup"
"$VENV/bin/mypy" tui_backup
say "pytest"
"$VENV/bin/pytest" "$@"
