#!/usr/bin/env bash
# Runs every go test benchmark of the module: those issue 5 names
# (deciding and evolving a case, the event codec, every read model's
# apply, queue and dashboard queries) and the rest (appends and loads on
# the embedded server, rebuilds, heap per case, snapshots, a report through
# the whole service). It writes go test's output, which benchstat reads,
# to one file:
#
#   bash bench/micro.sh [OUT] [COUNT]          # default bench/micro-<commit>.txt, 6
#   go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da OLD NEW
#
# Each benchmark runs COUNT times so benchstat can give a median and its
# spread. Run it with nothing else on the machine; the file's first lines
# say which commit and what load it ran at. It took 8.5 minutes on the
# project's 2-core machine at COUNT 6.
#
# MICRO_BENCHTIME=1x runs each benchmark once, which is how test.sh keeps
# them from rotting; such a file measures nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
out=${1:-bench/micro-$commit.txt}
count=${2:-6}
dirty=""
# Only changes to code count: the file says which commit's code it measured.
if [ -n "$(git status --porcelain -- '*.go' go.mod go.sum 2>/dev/null)" ]; then dirty=" (with uncommitted changes to the code)"; fi

# package  benchmarks (a -bench pattern)  -benchtime
runs=(
  "./domain       ^Benchmark(Decide|Evolve)$                                     0.2s"
  "./eventstore   ^Benchmark(Encode|Decode)$                                     0.2s"
  "./eventstore   ^Benchmark(Append|AppendParallel|Load)$                        2000x"
  "./eventstore   ^BenchmarkKeyReadReplicated$                                   5000x"
  "./eventstore   ^BenchmarkStripPDF$                                            3x"
  "./projections  ^Benchmark(CaseViewApply|QueuesApply|QueuesReportMidUnit)$     0.3s"
  "./projections  ^BenchmarkDashboardApply$                                      5x"
  "./projections  ^Benchmark(QueuesList|CaseViewGet|DashboardMonthInProgress)$  0.3s"
  "./projections  ^BenchmarkDashboardAnnual$                                     20x"
  "./projections  ^BenchmarkQueries100k$                                         0.3s"
  "./projections  ^Benchmark(QueuesRebuild|RunnerRebuild)$                       3x"
  "./projections  ^BenchmarkReplayRatio$                                         5x"
  "./projections  ^BenchmarkHeapPerCase$                                         3x"
  "./projections  ^Benchmark(SnapshotCaseView|RestoreCaseView)$                  0.3s"
  "./api          ^BenchmarkEncodeQueuePage$                                     0.2s"
  "./app          ^BenchmarkSubmitReport$                                        3000x"
)

{
  echo "# bench/micro.sh at $commit$dirty, $(date -u +%Y-%m-%dT%H:%MZ), count $count${MICRO_BENCHTIME:+, benchtime $MICRO_BENCHTIME (a smoke run)}"
  echo "# $(uptime)"
} >"$out"
for r in "${runs[@]}"; do
  read -r pkg pattern benchtime <<<"$r"
  benchtime=${MICRO_BENCHTIME:-$benchtime}
  echo "== $pkg $pattern ($benchtime × $count)" >&2
  # go test's whole output is shown if it fails; the file gets the lines
  # benchstat reads.
  if ! go test -run '^$' -bench "$pattern" -benchtime "$benchtime" -count "$count" -benchmem "$pkg" >"$out.part" 2>&1; then
    cat "$out.part" >&2
    rm -f "$out.part"
    exit 1
  fi
  grep -v '^\(PASS\|ok \)' "$out.part" >>"$out"
  rm -f "$out.part"
done
echo "# done $(date -u +%H:%MZ); $(uptime)" >>"$out"
echo "wrote $out" >&2
