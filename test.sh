#!/usr/bin/env bash
# The project's tests: the whole suite under the race detector, then every
# fuzz target for a bounded time (FUZZTIME each, default 7s: ten targets
# stay within about a minute and a half) beyond the
# seed corpora in testdata/fuzz/ that the suite already ran. Any failure
# fails the script; a fuzz failure leaves its input in testdata/fuzz/.
set -euo pipefail
cd "$(dirname "$0")"

go test -race -count=1 -timeout 20m ./...

# package target: keep this list in step with the Fuzz functions
# (grep -rn '^func Fuzz' --include='*_test.go' .).
fuzz_targets=(
  "./api FuzzSubmitReport"
  "./api FuzzActionBody"
  "./api FuzzQueuePageJSON"
  "./jsonappend FuzzString"
  "./open311 FuzzOpen311Form"
  "./domain FuzzDecide"
  "./domain FuzzEvolve"
  "./eventstore FuzzStripJPEG"
  "./eventstore FuzzStripPNG"
  "./eventstore FuzzStripWebP"
)
found=$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sort | wc -l)
if [ "$found" -ne "${#fuzz_targets[@]}" ]; then
  echo "test.sh lists ${#fuzz_targets[@]} fuzz targets but the code has $found"; exit 1
fi
for t in "${fuzz_targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "== fuzz $name ($pkg, ${FUZZTIME:-7s})"
  # A short minimisation: a new input is kept anyway, and a long one stalls a short run.
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "${FUZZTIME:-7s}" -fuzzminimizetime 2s "$pkg"
done
