// Command benchtrace summarises the execution trace that `phananh bench
// --trace` writes of the query phase's steady window: how many reads were
// slow, and what ran on the processors while they waited.
//
//	cd tools/benchtrace && go run . [-slow 5ms] /tmp/queries.trace
//
// It is a module of its own so that the service does not depend on
// golang.org/x/exp/trace, the only reader of Go's execution traces outside
// the standard library (whose own is internal), and one without a
// compatibility promise: a trace from a newer Go may need a newer x/exp.
// `go tool trace` shows the same regions in its viewer; this gives the
// figures BENCHMARKS.md quotes, from the command line.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	slow := flag.Duration("slow", 5*time.Millisecond, "a read taking longer than this is slow (the issue's p99 target)")
	top := flag.Int("top", 12, "goroutine entry functions to list")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: benchtrace [-slow 5ms] [-top 12] TRACE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtrace:", err)
		os.Exit(1)
	}
	defer f.Close()
	s, err := summarise(f, *slow)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtrace:", err)
		os.Exit(1)
	}
	s.print(os.Stdout, *top)
}
