#!/usr/bin/env bash
# Proof under fire: run the fault and concurrency tests and print the figures they establish
# as the README's table. `scripts/proof.sh` runs the variants `make test` runs; `--soak` the long
# ones `make soak` runs. Needs PostgreSQL (PATHWAYS_TEST_POSTGRES_URL; the default below is the
# one CI uses): without it these tests fail rather than skip.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATHWAYS_TEST_POSTGRES_URL="${PATHWAYS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
export PATHWAYS_REQUIRE_POSTGRES=1
args=(-q -p no:cacheprovider tests/faults tests/concurrency)
if [[ "${1:-}" == "--soak" ]]; then
    export HYPOTHESIS_PROFILE=soak
    args+=(-m slow)
fi

figures="$(mktemp)"
trap 'rm -f "$figures"' EXIT
started=$SECONDS
PATHWAYS_PROOF_FIGURES="$figures" .venv/bin/python -m pytest "${args[@]}"
echo
echo "Proof under fire ($(( SECONDS - started )) s):"
.venv/bin/python - "$figures" <<'PY'
import json
import sys

print("| case | figures |")
print("| --- | --- |")
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        entry = json.loads(line)
        figures = "; ".join(
            f"{key.replace('_', ' ')}: {value}"
            for key, value in entry.items()
            if key not in ("suite", "case")
        )
        print(f"| {entry['suite']}: {entry['case']} | {figures} |")
PY
