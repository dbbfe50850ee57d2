package lmhead_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// lengths covers 0 through 300 (every vector width and unroll boundary of
// every level: 4, 8, 16, 32 and 64 lanes and their multiples) and a few
// large sizes, one of them odd against every width.
func lengths() []int {
	var ns []int
	for n := 0; n <= 300; n++ {
		ns = append(ns, n)
	}
	return append(ns, 1000, 4096, 8195)
}

// offsets are element offsets of the first element from a 64-byte aligned
// start; 0 through 15 covers every misalignment against a ZMM load.
const offsets = 16

func TestDot(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(1)
		for _, n := range lengths() {
			for off := 0; off < offsets; off++ {
				if tu.Short() && off%5 != 0 && n > 64 {
					continue
				}
				a, _ := tu.Offset(n, off, 0)
				b, _ := tu.Offset(n, (off*7)%offsets, 0)
				tu.Fill(r, a)
				tu.Fill(r, b)
				ref, bound := tu.DotRef(a, b)
				got := lmhead.Dot(a, b)
				require.Truef(t, tu.Close(got, ref, bound), "n=%d off=%d: Dot=%v, ref %v ± %v", n, off, got, ref, bound)
			}
		}
	})
}

func TestSum(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(2)
		for _, n := range lengths() {
			for off := 0; off < offsets; off++ {
				if tu.Short() && off%5 != 0 && n > 64 {
					continue
				}
				x, _ := tu.Offset(n, off, 0)
				tu.Fill(r, x)
				ref, bound := tu.DotRef(x, ones(n))
				got := lmhead.Sum(x)
				require.Truef(t, tu.Close(got, ref, bound), "n=%d off=%d: Sum=%v, ref %v ± %v", n, off, got, ref, bound)
			}
		}
	})
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// checkGemv runs Gemv on rows×cols with the given offsets and checks every
// output against the float64 reference and the guard values around dst.
func checkGemv(t *testing.T, r interface{ Float32() float32 }, rows, cols, off int) {
	t.Helper()
	const guard = -12345.5
	w, _ := tu.Offset(rows*cols, off, 0)
	x, _ := tu.Offset(cols, (off+3)%offsets, 0)
	dst, whole := tu.Offset(rows, (off+9)%offsets, guard)
	for i := range w {
		w[i] = 2*r.Float32() - 1
	}
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
	lmhead.Gemv(dst, w, x)
	for i := range dst {
		ref, bound := tu.DotRef(w[i*cols:(i+1)*cols], x)
		if !tu.Close(dst[i], ref, bound) {
			t.Fatalf("%dx%d off=%d: dst[%d]=%v, ref %v ± %v", rows, cols, off, i, dst[i], ref, bound)
		}
	}
	if i := tu.Untouched(whole, (off+9)%offsets, rows, guard); i >= 0 {
		t.Fatalf("%dx%d off=%d: Gemv wrote outside dst at backing index %d", rows, cols, off, i)
	}
}

func TestGemv(t *testing.T) {
	rowCounts := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(3)
		for _, cols := range lengths() {
			for _, rows := range rowCounts {
				off := (rows*5 + cols) % offsets
				checkGemv(t, r, rows, cols, off)
			}
		}
		// Every starting offset at a shape with full blocks, single vectors
		// and a tail.
		for off := 0; off < offsets; off++ {
			checkGemv(t, r, 7, 16*3+5, off)
			checkGemv(t, r, 9, 8*5+3, off)
		}
	})
}

// TestGemvLarge runs vocabulary-sized shapes, where the rows of W no longer
// fit in cache.
func TestGemvLarge(t *testing.T) {
	if tu.Short() {
		t.Skip("large shapes take seconds under -short or emulation; run without -short")
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(4)
		for _, shape := range [][2]int{{4099, 768}, {1027, 4096}, {33, 8195}} {
			checkGemv(t, r, shape[0], shape[1], 3)
		}
	})
}

// TestRandomShapes is the randomized property test: thousands of random
// shapes, offsets and magnitudes against the float64 reference. Unlike the
// fuzz targets it runs under qemu too.
func TestRandomShapes(t *testing.T) {
	trials := 3000
	if tu.Short() {
		trials = 300
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(5)
		for trial := 0; trial < trials; trial++ {
			rows := r.IntN(20)
			cols := r.IntN(600)
			if r.IntN(10) == 0 {
				cols = r.IntN(5000)
			}
			checkGemv(t, r, rows, cols, r.IntN(offsets))
			a, _ := tu.Offset(cols, r.IntN(offsets), 0)
			b, _ := tu.Offset(cols, r.IntN(offsets), 0)
			// Scale by a random power of two: the bound is relative, so it
			// must hold at any magnitude that does not overflow.
			s := float32(math.Ldexp(1, r.IntN(120)-60))
			for i := range a {
				a[i] = (2*r.Float32() - 1) * s
				b[i] = 2*r.Float32() - 1
			}
			ref, bound := tu.DotRef(a, b)
			got := lmhead.Dot(a, b)
			require.Truef(t, tu.Close(got, ref, bound), "trial %d n=%d: Dot=%v, ref %v ± %v", trial, cols, got, ref, bound)
		}
	})
}

// TestSpecialValues checks NaN, ±Inf, denormals and overflow against the
// float64 reference, which follows IEEE 754 for them (and stays finite where
// float32 overflows, which Close then requires to be ±Inf).
func TestSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	den := math.Float32frombits(1)         // 2⁻¹⁴⁹, the smallest denormal
	bigDen := math.Float32frombits(0x7fff) // a denormal with many bits
	huge := float32(math.MaxFloat32)
	cases := []struct {
		name string
		a, b func(n int) []float32
	}{
		{"nan first", fill(nan, 1, 1), fill(1, 1, 1)},
		{"nan last", fill(1, 1, nan), fill(1, 1, 1)},
		{"nan in b", fill(1, 1, 1), fill(1, nan, 1)},
		{"+inf", fill(1, inf, 1), fill(1, 1, 1)},
		{"-inf", fill(1, 1, -inf), fill(1, 1, 1)},
		{"inf times zero", fill(0, inf, 0), fill(1, 0, 1)},
		{"inf minus inf", fill(inf, 0, -inf), fill(1, 1, 1)},
		{"inf times negative", fill(1, inf, 1), fill(1, -2, 1)},
		{"denormal products", fill(den, den, den), fill(0.5, 0.5, 0.5)},
		{"denormal inputs", fill(bigDen, bigDen, bigDen), fill(1, 3, 1)},
		{"huge overflows", fill(huge, huge, huge), fill(1, 1, 1)},
		{"huge negative overflows", fill(-huge, -huge, -huge), fill(1, 1, 1)},
		{"huge single", fill(0, huge, 0), fill(1, 1, 1)},
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, c := range cases {
			for _, n := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 129} {
				a, b := c.a(n), c.b(n)
				ref, bound := tu.DotRef(a, b)
				got := lmhead.Dot(a, b)
				require.Truef(t, tu.Close(got, ref, bound), "%s n=%d: Dot=%v, want %v ± %v", c.name, n, got, ref, bound)
				// Gemv with that vector as every row of W agrees.
				w := append(append([]float32(nil), a...), a...)
				dst := make([]float32, 2)
				lmhead.Gemv(dst, w, b)
				for i := range dst {
					require.Truef(t, tu.Close(dst[i], ref, bound), "%s n=%d: Gemv[%d]=%v, want %v ± %v", c.name, n, i, dst[i], ref, bound)
				}
			}
		}
	})
}

// fill returns a constructor of n values: first, then middle repeated, then
// last (for n == 1 only middle; for n == 2 first and last).
func fill(first, middle, last float32) func(n int) []float32 {
	return func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = middle
		}
		if n >= 2 {
			s[0], s[n-1] = first, last
		}
		return s
	}
}

func TestPanics(t *testing.T) {
	require.PanicsWithValue(t, "lmhead.Dot: len(a)=3, len(b)=4, want equal", func() {
		lmhead.Dot(make([]float32, 3), make([]float32, 4))
	})
	require.PanicsWithValue(t, "lmhead.Gemv: len(w)=11, want len(dst)*len(x)=3*4=12", func() {
		lmhead.Gemv(make([]float32, 3), make([]float32, 11), make([]float32, 4))
	})
}

func TestEmpty(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		require.Equal(t, float32(0), lmhead.Dot(nil, nil))
		require.Equal(t, float32(0), lmhead.Sum(nil))
		lmhead.Gemv(nil, nil, make([]float32, 5))
		dst := []float32{1, 2, 3}
		lmhead.Gemv(dst, nil, nil)
		require.Equal(t, []float32{0, 0, 0}, dst, "W·x with no columns is all zeros")
	})
}

func TestNoAllocs(t *testing.T) {
	w, x, dst := make([]float32, 37*129), make([]float32, 129), make([]float32, 37)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		allocs := testing.AllocsPerRun(50, func() {
			lmhead.Gemv(dst, w, x)
			lmhead.Dot(x, x)
			lmhead.Sum(w)
		})
		require.Zero(t, allocs, fmt.Sprintf("%v kernels allocate", isa))
	})
}
