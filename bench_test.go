package lmhead_test

import (
	"fmt"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// shapes are the vocabulary projections the Gemv benchmarks run: three real
// LM heads that stream W from DRAM, and two that fit this machine's caches
// (L2 is 1 MiB per Zen 4 core, L3 32 MiB).
var shapes = []struct {
	name       string
	rows, cols int
}{
	{"gpt2", 50257, 768},
	{"llama2-7b", 32000, 4096},
	{"llama3.2-1b", 128256, 2048},
	{"l2", 1024, 192}, // 768 KiB
	{"l3", 8192, 512}, // 16 MiB
}

// weights returns a rows×cols matrix of small values (no denormals, no
// specials), cached so that the sub-benchmarks of every ISA stream the very
// same memory. The largest is 1 GiB.
var weightCache = map[int][]float32{}

func weights(n int) []float32 {
	if w, ok := weightCache[n]; ok {
		return w
	}
	w := make([]float32, n)
	var s uint32 = 1
	for i := range w {
		s = s*1664525 + 1013904223
		w[i] = float32(int32(s>>8)-1<<23) / (1 << 23)
	}
	weightCache[n] = w
	return w
}

// BenchmarkGemv measures the projection; MB/s is the weight bytes streamed.
// Compare it with BenchmarkReadBandwidth of the same byte count, from the
// same run.
func BenchmarkGemv(b *testing.B) {
	tu.ForEachISABench(b, func(b *testing.B, isa lmhead.ISA) {
		for _, s := range shapes {
			b.Run(s.name, func(b *testing.B) {
				w := weights(s.rows * s.cols)
				x := weights(s.cols + 1)[:s.cols]
				dst := make([]float32, s.rows)
				b.SetBytes(int64(len(w) * 4))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					lmhead.Gemv(dst, w, x)
				}
			})
		}
	})
}

// BenchmarkReadBandwidth is the memory roofline: a streaming Sum over the
// same bytes (the same backing array) as each Gemv shape.
func BenchmarkReadBandwidth(b *testing.B) {
	tu.ForEachISABench(b, func(b *testing.B, isa lmhead.ISA) {
		for _, s := range shapes {
			n := s.rows * s.cols
			b.Run(fmt.Sprint(4*n), func(b *testing.B) {
				w := weights(n)
				b.SetBytes(int64(4 * n))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					lmhead.Sum(w)
				}
			})
		}
	})
}

// BenchmarkGemvNaive is the baseline a Go programmer writes first: one row
// at a time, one accumulator. The generic kernels are measured against it.
func BenchmarkGemvNaive(b *testing.B) {
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			w := weights(s.rows * s.cols)
			x := weights(s.cols + 1)[:s.cols]
			dst := make([]float32, s.rows)
			b.SetBytes(int64(len(w) * 4))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				naiveGemv(dst, w, x)
			}
		})
	}
}

func naiveGemv(dst, w, x []float32) {
	n := len(x)
	for i := range dst {
		var s float32
		for j, xj := range x {
			s += w[i*n+j] * xj
		}
		dst[i] = s
	}
}

func BenchmarkDot(b *testing.B) {
	tu.ForEachISABench(b, func(b *testing.B, isa lmhead.ISA) {
		for _, n := range []int{64, 768, 4096, 65536} {
			b.Run(fmt.Sprint(n), func(b *testing.B) {
				x := weights(2 * n)
				b.SetBytes(int64(8 * n))
				for i := 0; i < b.N; i++ {
					lmhead.Dot(x[:n], x[n:])
				}
			})
		}
	})
}
