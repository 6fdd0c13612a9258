#!/usr/bin/env bash
# The project's conventions as checks (`make verify`, run by .ci/run before the tests):
# ruff lint, ruff format, import-linter contracts (.importlinter), mypy (pyproject.toml:
# strict, over kintern and the operator, agent and trainer packages), CRD drift (crds/ is what kintern.api renders)
# and chart drift (the chart's CRDs, admission policies and dashboard are generated).
# Stops at the first failing check and names it on stderr; exits 0 when all pass.
#
#   PYTHON=path   the interpreter whose environment has the dev extra (default: .venv's,
#                 else python3 on PATH); ruff, lint-imports and mypy are found beside it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON="$(command -v python3)"; fi
fi
# The environment's own tools, not whatever else is on PATH.
BIN="$(dirname "$PYTHON")"
# The checkout's packages, whichever copy of kintern the environment has installed.
export PYTHONPATH="$ROOT:$ROOT/operator:$ROOT/agent:$ROOT/trainer-image${PYTHONPATH:+:$PYTHONPATH}"

SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

say() { printf '[verify] %s\n' "$*" >&2; }

# run NAME HINT COMMAND...: runs one check; on failure names it and how to fix it, and stops.
run() {
  local name="$1" hint="$2"
  shift 2
  say "$name"
  if ! "$@"; then
    say "FAILED: $name ($hint)"
    exit 1
  fi
}

crds_match() {
  "$PYTHON" -m kintern.api.crd "$SCRATCH/crds" >/dev/null
  diff -r "$SCRATCH/crds" crds
}

chart_matches() {
  local policies=crds/kintern.dev_admission-policies.yaml
  mkdir -p "$SCRATCH/chart-crds"
  for f in crds/*.yaml; do
    [[ "$f" == "$policies" ]] || cp "$f" "$SCRATCH/chart-crds/"
  done
  diff -r "$SCRATCH/chart-crds" charts/kintern/crds &&
    diff "$policies" charts/kintern/files/admission-policies.yaml &&
    "$PYTHON" -m kintern.observability.dashboard "$SCRATCH/dashboard.json" >/dev/null &&
    diff "$SCRATCH/dashboard.json" charts/kintern/dashboards/kintern.json
}

run "ruff check" "fix the findings, or \`ruff check --fix\`" "$BIN/ruff" check .
run "ruff format" "run \`ruff format\`" "$BIN/ruff" format --check .
run "import contracts" "an import crosses a layer named in .importlinter" "$BIN/lint-imports"
run "mypy (strict, the whole project)" "fix the type errors above" "$BIN/mypy"
run "CRD drift" "crds/ differs from kintern/api: run \`make crds\`" crds_match
run "chart drift" "the chart's generated files are stale: run \`make crds dashboard\`" chart_matches
say "all checks passed"
