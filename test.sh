#!/usr/bin/env bash
# The project's tests: the whole suite under the race detector, every
# benchmark once (bench/micro.sh), then every fuzz target for a bounded number of inputs beyond the seed corpora in
# testdata/fuzz/ that the suite already ran. Any failure fails the script;
# a fuzz failure leaves its input in testdata/fuzz/.
#
# The bound is a count of executions, about 7 s of each target on the
# 2-core machine (ten targets stay within about a minute and a half), not
# a duration: with -fuzztime as a duration, Go 1.26's fuzzing coordinator
# can report its own deadline as a failure, "context deadline exceeded"
# with no failing input (src/internal/fuzz/fuzz.go: stop(ctx.Err()) is
# suppressed only once the workers' context is cancelled too; reported as
# go.dev/issue/75804). It failed this script once in CI. FUZZTIME, when set (say 60s or 200000x), is
# used for every target instead.
set -euo pipefail
cd "$(dirname "$0")"

go test -race -count=1 -timeout 20m ./...
# The bench trace reader is a module of its own (it keeps golang.org/x/exp
# out of the service's dependencies); ./... above does not reach it.
(cd tools/benchtrace && go vet ./... && go test -race -count=1 ./...)

# Every benchmark runs once, so that none rots unnoticed; bench/micro.sh
# is also how they are run to measure. Its list must name them all.
smoke=$(mktemp)
MICRO_BENCHTIME=1x bash bench/micro.sh "$smoke" 1
want=$(grep -rhoE '^func Benchmark[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/^func //' | sort -u)
ran=$(grep -oE '^Benchmark[A-Za-z0-9_]+' "$smoke" | sort -u)
if [ "$want" != "$ran" ]; then
  echo "bench/micro.sh does not run exactly the benchmarks in the code (< in the code, > it ran):"
  diff <(echo "$want") <(echo "$ran") || true
  exit 1
fi
rm -f "$smoke"

# package target count: keep this list in step with the Fuzz functions
# (grep -rn '^func Fuzz' --include='*_test.go' .).
# The counts are what each ran in 7 s in CI.
fuzz_targets=(
  "./api FuzzSubmitReport 15000x"
  "./api FuzzActionBody 15000x"
  "./api FuzzQueuePageJSON 25000x"
  "./jsonappend FuzzString 150000x"
  "./open311 FuzzOpen311Form 60000x"
  "./domain FuzzDecide 15000x"
  "./domain FuzzEvolve 90000x"
  "./eventstore FuzzStripJPEG 15000x"
  "./eventstore FuzzStripPNG 15000x"
  "./eventstore FuzzStripWebP 25000x"
  "./eventstore FuzzStripPDF 15000x"
)
found=$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sort | wc -l)
if [ "$found" -ne "${#fuzz_targets[@]}" ]; then
  echo "test.sh lists ${#fuzz_targets[@]} fuzz targets but the code has $found"; exit 1
fi
for t in "${fuzz_targets[@]}"; do
  read -r pkg name count <<<"$t"
  echo "== fuzz $name ($pkg, ${FUZZTIME:-$count})"
  # A short minimisation: a new input is kept anyway, and a long one stalls a short run.
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "${FUZZTIME:-$count}" -fuzzminimizetime 2s "$pkg"
done
