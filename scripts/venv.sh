# Sourced by the scripts: create .venv (Python 3.11+) if missing and install the project into
# it, with the extras given as $1 (e.g. "test"). Run from the repository root.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${1:+[$1]}"
