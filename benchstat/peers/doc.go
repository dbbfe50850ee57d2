// Package peers holds benchmarks only: the shapes of the lmhead benchmarks
// run through other Go libraries (gonum's blas32 Sgemv, viterin/vek's Dot
// called per row) and through the naive Go loops, next to lmhead itself.
//
// It is a module of its own so that gonum and vek never enter the lmhead
// module's dependencies. `go run ./benchstat` (from the lmhead root) runs it
// and prints lmhead against each peer; by hand:
//
//	cd benchstat/peers && go test -run '^$' -bench . -count 6
//
// Benchmark names are Benchmark<Op>/<impl>/<shape>, impl one of lmhead,
// gonum, vek and naive, so that the benchstat tool can put the
// implementations in columns.
package peers
