# Shared by quickstart.sh and test.sh: install what is missing, and nothing else.
# Sourced, not run. Debian/Ubuntu (apt); root or sudo for the system packages.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
MIN_PYTHON="3.11"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to install system packages: run as root, or install sudo"
    fi
}

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# A Python >= MIN_PYTHON that can make venvs (PYTHON=... picks one), or nothing.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c "import sys, venv, ensurepip; sys.exit(sys.version_info < tuple(map(int, '$MIN_PYTHON'.split('.'))))" 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# ensure_packages PKG...: apt-get install the missing ones (apt-get update only then).
ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    if [ ! -x "$VENV/bin/python" ] && ! find_python >/dev/null; then
        missing+=(python3 python3-venv)
    fi
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "missing: ${missing[*]}; this script installs them with apt-get (Debian/Ubuntu) — install them yourself elsewhere"
    say "installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_venv [EXTRAS]: .venv with tui-backup installed (editable). pip runs only when
# pyproject.toml changed since the last install, or the extras asked for are not in it.
ensure_venv() {
    local extras="${1:-}" spec="." stamp="$VENV/.tui-backup-install" hash installed="" python
    [ -n "$extras" ] && spec=".[$extras]"
    if [ ! -x "$VENV/bin/python" ]; then
        python="$(find_python)" || die "no Python >= $MIN_PYTHON with venv support found (set PYTHON=/path/to/python3.11)"
        say "creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    hash="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"
    [ -f "$stamp" ] && installed="$(cat "$stamp")"
    if [ "$installed" = "$hash $extras" ] || { [ -z "$extras" ] && [ "${installed%% *}" = "$hash" ]; }; then
        return 0
    fi
    say "installing tui-backup${extras:+ with [$extras]} into $VENV"
    (cd "$REPO_ROOT" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec")
    printf '%s %s\n' "$hash" "$extras" >"$stamp"
}
