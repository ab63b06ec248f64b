# Source this file (bash): it sets up the course's Python environment once, caches it outside the
# checkout, installs this checkout into it (editable, a few seconds) and activates it.
#
#   source .ci/env.sh
#
# The environment lives in ${GRADELIB_ENV_CACHE:-~/.cache/gradelib-course}/venv-<hash>, where
# <hash> is a hash of pyproject.toml's dependency lists and the Python version: a new dependency
# makes a new environment, anything else reuses the old one. PyTorch from the package registry
# is the CUDA build (about 5 GB); it runs on a CPU too.

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
"$_gradelib_venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$_gradelib_repo" >/dev/null 2>&1 \
    || { echo "gradelib: installing the checkout into $_gradelib_venv failed" >&2; return 1; }
# shellcheck disable=SC1091
source "$_gradelib_venv/bin/activate"
unset _gradelib_repo _gradelib_python _gradelib_key _gradelib_cache _gradelib_venv
