package lmhead_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// Benchmark shape: a Llama-style head, V = 32000, d = 4096.
const benchGemmV, benchGemmD = 32000, 4096

// BenchmarkGemm runs Matrix.Gemm for n = 1, 8, 16, 64 and 256 positions at
// 32000×4096 in F32, BF16 and Q8_0, on the active level, and reports
// GFLOP/s (2·V·d·n per call) and positions (tokens) per second. The
// gemv8 case is 8 separate Gemv calls, the baseline of Gemm at n = 8.
// benchstat/peers has OpenBLAS's sgemm at the same names.
func BenchmarkGemm(b *testing.B) {
	V, d := benchGemmV, benchGemmD
	r := tu.Rand(1014)
	x := make([]float32, 256*d)
	tu.Fill(r, x)
	dst := make([]float32, 256*V)
	for _, f := range []lmhead.Format{lmhead.F32, lmhead.BF16, lmhead.Q8_0} {
		m, err := lmhead.NewMatrix(f, V, d, benchRows(r, f, V, d))
		if err != nil {
			b.Fatal(err)
		}
		ns := []int{1, 8, 16, 64, 256}
		for _, n := range ns {
			b.Run(fmt.Sprintf("%v/n=%d", f, n), func(b *testing.B) {
				c := startCPU(b)
				for i := 0; i < b.N; i++ {
					m.Gemm(dst[:n*V], x[:n*d], n)
				}
				c.report(b, V, d, n)
			})
		}
		if f == lmhead.F32 {
			b.Run(fmt.Sprintf("%v/gemv8", f), func(b *testing.B) {
				c := startCPU(b)
				for i := 0; i < b.N; i++ {
					for p := 0; p < 8; p++ {
						m.Gemv(dst[p*V:(p+1)*V], x[p*d:(p+1)*d])
					}
				}
				c.report(b, V, d, 8)
			})
		}
	}
}

// benchRows returns V random rows of format f: 256 rows from RandRows
// repeated, which is as good for timing and seconds faster at V = 32000.
// BF16 rows are the top halves of RandRows' F32 values, without the
// subnormals that RandRows puts in every 16th BF16 weight for coverage: a
// float32 FMA with a subnormal operand takes a microcode assist on Intel
// cores (Gemm ran 10× slower on those rows), and trained weights have none.
func benchRows(r *rand.Rand, f lmhead.Format, V, d int) []byte {
	const distinct = 256
	var block []byte
	if f == lmhead.BF16 {
		f32 := tu.RandRows(r, lmhead.F32, distinct, d)
		block = make([]byte, len(f32)/2)
		for i := range block {
			block[i] = f32[2*(i/2)*2+2+i%2] // bytes 2 and 3 of each little-endian float32
		}
	} else {
		block = tu.RandRows(r, f, distinct, d)
	}
	b := make([]byte, 0, V*len(block)/distinct)
	for len(b) < cap(b) {
		b = append(b, block[:min(len(block), cap(b)-len(b))]...)
	}
	return b
}

// cpuClock is a benchmark's start on its locked OS thread's CPU clock.
type cpuClock struct{ t0 float64 }

// startCPU locks the benchmark goroutine to its thread (until the
// benchmark function returns) and starts the thread CPU clock with the
// benchmark timer.
func startCPU(b *testing.B) cpuClock {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	b.ResetTimer()
	return cpuClock{tu.ThreadCPU()}
}

// report adds, for n positions of a V×d projection per op, GFLOP/s and
// positions per second over the wall time and GFLOP/s over the thread's
// CPU time ("cpu-GFLOP/s"): the machine the figures were taken on was
// shared by several jobs, so the wall time includes the time the
// benchmark was not scheduled.
func (c cpuClock) report(b *testing.B, V, d, n int) {
	cpu := (tu.ThreadCPU() - c.t0) / float64(b.N)
	sec := b.Elapsed().Seconds() / float64(b.N)
	flop := 2 * float64(V) * float64(d) * float64(n)
	b.ReportMetric(flop/sec/1e9, "GFLOP/s")
	b.ReportMetric(float64(n)/sec, "tok/s")
	if cpu > 0 {
		b.ReportMetric(flop/cpu/1e9, "cpu-GFLOP/s")
		b.ReportMetric(float64(n)/cpu, "cpu-tok/s")
	}
}
