package head_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// BenchmarkBatch runs the batch methods at the Llama 2 7B shape
// (32000×4096, F32): LogitsBatch and CrossEntropy at n = 512 on one
// worker (CrossEntropy should keep ≥ 0.9 of the batched logits' positions
// per second without their n×V buffer), and LogitsBatch at n = 64 on one
// and two workers. It reports positions per second over the wall time and,
// on one worker, over the benchmark thread's CPU time (the machine the
// figures were taken on was shared); the CrossEntropy case also reports
// the heap a cold call allocates (its scratch, kept in pools after).
func BenchmarkBatch(b *testing.B) {
	w, _ := llamaWeights()
	r := tu.Rand(1020)
	const maxN = 512
	hidden := fill(r, maxN*llamaD, 1)
	targets := make([]int, maxN)
	for i := range targets {
		targets[i] = r.IntN(llamaV)
	}
	var logits []float32
	for _, c := range []struct {
		method     string
		n, workers int
	}{
		{"LogitsBatch", 512, 1}, {"CrossEntropy", 512, 1}, {"LogitsBatch", 64, 1}, {"LogitsBatch", 64, 2},
	} {
		h, err := head.New(head.Config{Vocab: llamaV, Hidden: llamaD, Weight: w, Workers: c.workers})
		if err != nil {
			b.Fatal(err)
		}
		x := hidden[:c.n*llamaD]
		run := func() {
			if c.method == "CrossEntropy" {
				if _, err := h.CrossEntropy(x, targets[:c.n], head.LossOptions{}); err != nil {
					b.Fatal(err)
				}
				return
			}
			logits = h.LogitsBatch(logits, x)
		}
		b.Run(fmt.Sprintf("%s/n=%d/workers=%d", c.method, c.n, c.workers), func(b *testing.B) {
			var cold uint64
			if c.method == "CrossEntropy" {
				// Two GCs empty the sync.Pools, so this call allocates its
				// scratch afresh.
				runtime.GC()
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				run()
				runtime.ReadMemStats(&m1)
				cold = m1.TotalAlloc - m0.TotalAlloc
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			c0 := tu.ThreadCPU()
			for i := 0; i < b.N; i++ {
				run()
			}
			cpu := (tu.ThreadCPU() - c0) / float64(b.N)
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(c.n)/sec, "pos/s")
			if c.workers == 1 && cpu > 0 {
				b.ReportMetric(float64(c.n)/cpu, "cpu-pos/s")
			}
			if cold > 0 {
				b.ReportMetric(float64(cold), "cold-heap-B")
			}
		})
	}
}
