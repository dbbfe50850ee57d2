package softmax_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
	"github.com/lmhead/lmhead/softmax"
)

// vocabSizes are real vocabularies (Llama 2, GPT-2, Llama 3, Gemma) and
// 2²⁴, which streams from DRAM on any machine.
var vocabSizes = []int{32000, 50257, 128256, 262144, 1 << 24}

var logitsCache = map[int][]float32{}

// logits returns n LM-like logits (normal, σ = 4), the same slice for
// every sub-benchmark of a size.
func logits(n int) []float32 {
	if x, ok := logitsCache[n]; ok {
		return x
	}
	x := make([]float32, n)
	r := tu.Rand(uint64(n) + 7)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 4)
	}
	logitsCache[n] = x
	return x
}

// benchEach runs f for every ISA and size with b.SetBytes(4n): MB/s / 4000
// is elements per nanosecond.
func benchEach(b *testing.B, sizes []int, f func(dst, x []float32)) {
	tu.ForEachISABench(b, func(b *testing.B, isa lmhead.ISA) {
		for _, n := range sizes {
			b.Run(fmt.Sprint(n), func(b *testing.B) {
				x, dst := logits(n), make([]float32, n)
				b.SetBytes(int64(4 * n))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					f(dst, x)
				}
			})
		}
	})
}

func BenchmarkSoftmax(b *testing.B) {
	benchEach(b, vocabSizes, func(dst, x []float32) { softmax.Softmax(dst, x, 0.8) })
}

func BenchmarkLogSoftmax(b *testing.B) {
	benchEach(b, vocabSizes, func(dst, x []float32) { softmax.LogSoftmax(dst, x, 0.8) })
}

func BenchmarkLogSumExp(b *testing.B) {
	benchEach(b, vocabSizes, func(dst, x []float32) { softmax.LogSumExp(x, 0.8) })
}

// crossoverSizes bracket the L2 (1 MiB per core here, x and dst together
// at 2¹⁷) and L3 (32 MiB) capacities.
var crossoverSizes = []int{4096, 32768, 131072, 262144, 524288, 1 << 20, 3 << 19, 1 << 21, 3 << 20, 1 << 22, 1 << 23, 1 << 24}

// BenchmarkSoftmaxAlgorithms runs the three-pass and the two-pass
// algorithm at every size, for the crossover that threePassMaxAVX512
// encodes (and the absence of one on the other levels).
func BenchmarkSoftmaxAlgorithms(b *testing.B) {
	for _, alg := range []struct {
		name string
		f    func(dst, x []float32, s float32)
	}{{"three-pass", softmax.ThreePass}, {"two-pass", softmax.TwoPass}} {
		b.Run(alg.name, func(b *testing.B) {
			benchEach(b, crossoverSizes, func(dst, x []float32) { alg.f(dst, x, 1.25) })
		})
	}
}

// naiveSoftmax is the baseline: the maximum, float64 math.Exp of each
// shifted logit over τ with a float64 sum, then a division.
func naiveSoftmax(dst, x []float32, temperature float64) {
	m := x[0]
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	var sum float64
	for i, v := range x {
		e := math.Exp(float64(v-m) / temperature)
		dst[i] = float32(e)
		sum += e
	}
	for i := range dst {
		dst[i] = float32(float64(dst[i]) / sum)
	}
}

// BenchmarkSoftmaxNaive is the plain Go softmax that BenchmarkSoftmax is
// compared against.
func BenchmarkSoftmaxNaive(b *testing.B) {
	for _, n := range vocabSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x, dst := logits(n), make([]float32, n)
			b.SetBytes(int64(4 * n))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				naiveSoftmax(dst, x, 0.8)
			}
		})
	}
}
