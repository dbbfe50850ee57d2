package lmhead_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// softmaxBenchSizes are an L1-resident vector, a vocabulary that fits L2
// with its output (128256 floats, 501 KiB: Llama 3), and one that streams
// from DRAM (2²⁴ floats, 64 MiB).
var softmaxBenchSizes = []int{4096, 128256, 1 << 24}

// logitCache holds softmax-like inputs (normal, σ = 4) per size, shared by
// the sub-benchmarks of every ISA.
var logitCache = map[int][]float32{}

func benchLogits(n int) []float32 {
	if x, ok := logitCache[n]; ok {
		return x
	}
	x := make([]float32, n)
	r := tu.Rand(uint64(n))
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
	}
	logitCache[n] = x
	return x
}

// BenchmarkSoftmaxKernels measures each softmax kernel per ISA and size.
// MB/s counts 4 bytes per input element, for every kernel, so that
// elements/ns = MB/s / 4000 whether or not the kernel writes dst.
func BenchmarkSoftmaxKernels(b *testing.B) {
	kernels := []struct {
		name string
		run  func(dst, x []float32)
	}{
		{"Exp", func(dst, x []float32) { lmhead.Exp(dst, x) }},
		{"Max", func(dst, x []float32) { lmhead.Max(x) }},
		{"Argmax", func(dst, x []float32) { lmhead.Argmax(x) }},
		{"ScaleExpSum", func(dst, x []float32) { lmhead.ScaleExpSum(dst, x, 0.8, 12) }},
		{"MaxSum", func(dst, x []float32) { lmhead.MaxSum(x, 0.8) }},
		{"ExpMul", func(dst, x []float32) { lmhead.ExpMul(dst, x, 0.8, 12, 1e-3) }},
		{"ScaleShift", func(dst, x []float32) { lmhead.ScaleShift(dst, x, 0.8, -12) }},
	}
	tu.ForEachISABench(b, func(b *testing.B, isa lmhead.ISA) {
		for _, k := range kernels {
			b.Run(k.name, func(b *testing.B) {
				for _, n := range softmaxBenchSizes {
					b.Run(fmt.Sprint(n), func(b *testing.B) {
						x := benchLogits(n)
						dst := make([]float32, n)
						b.SetBytes(int64(4 * n))
						b.ResetTimer()
						for i := 0; i < b.N; i++ {
							k.run(dst, x)
						}
					})
				}
			})
		}
	})
}

// BenchmarkExpMathBaseline is float64 math.Exp per element, the cost that
// the exhaustive test and a naive softmax pay, for comparison with
// BenchmarkSoftmaxKernels/*/Exp.
func BenchmarkExpMathBaseline(b *testing.B) {
	x := benchLogits(4096)
	dst := make([]float32, len(x))
	b.SetBytes(int64(4 * len(x)))
	for i := 0; i < b.N; i++ {
		for j, v := range x {
			dst[j] = float32(math.Exp(float64(v)))
		}
	}
}
