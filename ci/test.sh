#!/usr/bin/env bash
# The README's test command: install everything into .venv, then run every test layer.
# Usage: bash ci/test.sh [extra pytest args]
# Environment: HVREPL_SKIP_DOCKER_SETUP=1 to not install/start the Docker engine (docker tests then fail
# loudly rather than skip: the docker backend is part of the product).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test,dev]'

if [ "${HVREPL_SKIP_DOCKER_SETUP:-0}" != "1" ]; then
  bash ci/docker-engine.sh
fi

echo "== static checks"
.venv/bin/ruff check hvrepl simulator tests bench
.venv/bin/mypy hvrepl simulator
.venv/bin/python -m simulator coverage --check

echo "== tests"
set +e
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
