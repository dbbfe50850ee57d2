//go:build cgo && linux

package peers

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lmhead/lmhead"
)

// threadCPU is the calling OS thread's CPU time in seconds.
func threadCPU() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}

// BenchmarkGemm is the root BenchmarkGemm's F32 cases (n = 1, 8, 16, 64,
// 256 and gemv8, 8 separate products) through lmhead, OpenBLAS on one
// thread (openblas-1t: sgemv for n = 1 and gemv8, sgemm otherwise) and on
// two (openblas-2t). It reports GFLOP/s over the wall time and, for the
// one-thread cases, over the benchmark thread's CPU time (cpu-GFLOP/s):
// with one thread OpenBLAS computes on the caller's thread.
func BenchmarkGemm(b *testing.B) {
	const V, d = 32000, 4096
	b.Logf("OpenBLAS core %s", openblasCore())
	fmt.Printf("openblas-core: %s\n", openblasCore())
	w := fill(V*d, 1)
	x := fill(256*d, 2)
	dst := make([]float32, 256*V)
	m, err := lmhead.MatrixF32(w, V, d)
	if err != nil {
		b.Fatal(err)
	}
	for _, impl := range []string{"lmhead", "openblas-1t", "openblas-2t"} {
		for _, n := range []any{1, 8, 16, 64, 256, "gemv8"} {
			b.Run(fmt.Sprintf("%s/F32/n=%v", impl, n), func(b *testing.B) {
				threads := 1
				if impl == "openblas-2t" {
					threads = 2
				}
				openblasThreads(threads)
				pos, gemv8 := 8, n == "gemv8"
				if !gemv8 {
					pos = n.(int)
				}
				run := func() {
					switch {
					case impl == "lmhead" && gemv8:
						for p := 0; p < 8; p++ {
							m.Gemv(dst[p*V:(p+1)*V], x[p*d:(p+1)*d])
						}
					case impl == "lmhead":
						m.Gemm(dst[:pos*V], x[:pos*d], pos)
					case gemv8:
						for p := 0; p < 8; p++ {
							sgemv(dst[p*V:(p+1)*V], w, x[p*d:(p+1)*d], V, d)
						}
					case pos == 1:
						sgemv(dst[:V], w, x[:d], V, d)
					default:
						sgemm(dst, w, x, pos, V, d)
					}
				}
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				b.ResetTimer()
				c0 := threadCPU()
				for i := 0; i < b.N; i++ {
					run()
				}
				cpu := (threadCPU() - c0) / float64(b.N)
				sec := b.Elapsed().Seconds() / float64(b.N)
				flop := 2 * float64(V) * float64(d) * float64(pos)
				b.ReportMetric(flop/sec/1e9, "GFLOP/s")
				b.ReportMetric(float64(pos)/sec, "tok/s")
				if threads == 1 && cpu > 0 {
					b.ReportMetric(flop/cpu/1e9, "cpu-GFLOP/s")
					b.ReportMetric(float64(pos)/cpu, "cpu-tok/s")
				}
			})
		}
	}
}

// TestOpenBLASAgree checks that the sgemm call computes what lmhead's Gemm
// does, so that the benchmark compares the same product.
func TestOpenBLASAgree(t *testing.T) {
	const V, d, n = 37, 300, 5
	w, x := fill(V*d, 3), fill(n*d, 4)
	got, want := make([]float32, n*V), make([]float32, n*V)
	openblasThreads(1)
	sgemm(got, w, x, n, V, d)
	lmhead.Gemm(want, w, x, n)
	for i := range got {
		if d := got[i] - want[i]; d > 1e-3 || d < -1e-3 {
			t.Fatalf("sgemm[%d] = %v, lmhead %v", i, got[i], want[i])
		}
	}
	sgemv(got[:V], w, x[:d], V, d)
	lmhead.Gemv(want[:V], w, x[:d])
	for i := range got[:V] {
		if d := got[i] - want[i]; d > 1e-3 || d < -1e-3 {
			t.Fatalf("sgemv[%d] = %v, lmhead %v", i, got[i], want[i])
		}
	}
}
