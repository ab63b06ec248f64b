# Source this file (bash): it sets up the course's Python environment once, caches it outside the
# checkout, installs this checkout into it (editable, a few seconds) and activates it.
#
#   source .ci/env.sh
#
# The environment lives in ${GRADELIB_ENV_CACHE:-~/.cache/gradelib-course}/venv-<hash>, where
# <hash> is a hash of pyproject.toml's dependency lists and the Python version: a new dependency
# makes a new environment, anything else reuses the old one. PyTorch from the package registry
# is the CUDA build (about 5 GB); it runs on a CPU too.
#
# One environment serves every checkout on the machine. Each shell that sources this file imports the
# gradelib of the checkout it sourced it from: that checkout goes first on PYTHONPATH (replacing one a
# previous `source` in the same shell put there), ahead of the environment's editable install, and the
# `gradelib` command and pytest's plugin entry point import gradelib by name, so they follow it; the
# sandboxed submission process imports the public gradelib of the same checkout (it is started with the
# trusted process's gradelib path). The editable install only provides the command and the entry points:
# it is made when the environment lacks them (or has older ones), not on every `source`, so sourcing
# here never re-points another checkout's shells. When an install fails, pip's own error is shown.

_gradelib_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_gradelib_python="${GRADELIB_PYTHON:-python3}"
_gradelib_key="$("$_gradelib_python" "$_gradelib_repo/.ci/deps.py" key)" || return 1
_gradelib_cache="${GRADELIB_ENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gradelib-course}"
_gradelib_venv="$_gradelib_cache/venv-$_gradelib_key"

if [ ! -f "$_gradelib_venv/.complete" ]; then
    echo "gradelib: creating the environment $_gradelib_venv (once; several minutes)" >&2
    rm -rf "$_gradelib_venv"
    mkdir -p "$_gradelib_cache"
    "$_gradelib_python" -m venv "$_gradelib_venv" || return 1
    "$_gradelib_python" "$_gradelib_repo/.ci/deps.py" list > "$_gradelib_venv/requirements.txt"
    if "$_gradelib_venv/bin/python" -m pip install -q --upgrade pip setuptools wheel >"$_gradelib_venv/install.log" 2>&1 \
        && "$_gradelib_venv/bin/python" -m pip install -q -r "$_gradelib_venv/requirements.txt" >>"$_gradelib_venv/install.log" 2>&1; then
        touch "$_gradelib_venv/.complete"
    else
        tail -n 30 "$_gradelib_venv/install.log" >&2
        echo "gradelib: installing the dependencies failed; the log is $_gradelib_venv/install.log" >&2
        return 1
    fi
fi
if ! "$_gradelib_venv/bin/python" "$_gradelib_repo/.ci/deps.py" installed 2>/dev/null; then
    _gradelib_log="$(mktemp "${TMPDIR:-/tmp}/gradelib-install.XXXXXX")"
    if ! "$_gradelib_venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$_gradelib_repo" \
        >"$_gradelib_log" 2>&1; then
        tail -n 30 "$_gradelib_log" >&2
        echo "gradelib: installing the checkout $_gradelib_repo into $_gradelib_venv failed (pip's output above;" \
            "all of it in $_gradelib_log)" >&2
        unset _gradelib_repo _gradelib_python _gradelib_key _gradelib_cache _gradelib_venv _gradelib_log
        return 1
    fi
    rm -f "$_gradelib_log"
fi
# shellcheck disable=SC1091
source "$_gradelib_venv/bin/activate"
_gradelib_path=":${PYTHONPATH:-}:"
if [ -n "${GRADELIB_CHECKOUT:-}" ]; then
    _gradelib_path="${_gradelib_path//":$GRADELIB_CHECKOUT:"/:}"
fi
_gradelib_path="${_gradelib_path#:}"
_gradelib_path="${_gradelib_path%:}"
export GRADELIB_CHECKOUT="$_gradelib_repo"
export PYTHONPATH="$_gradelib_repo${_gradelib_path:+:$_gradelib_path}"
unset _gradelib_repo _gradelib_python _gradelib_key _gradelib_cache _gradelib_venv _gradelib_log _gradelib_path
