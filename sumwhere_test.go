package lmhead_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// sumWhereRef is SumWhereIn in float64 over the keys y (ScaleShift's
// output, which SumWhereIn's keys must equal), with the bound its doc
// states: 8·2⁻²⁴ times the sum of the selected |e[i]|.
func sumWhereRef(e, y []float32, lo, hi float32) (ref, bound float64) {
	var abs float64
	for i, v := range y {
		if lo <= v && v <= hi {
			ref += float64(e[i])
			abs += math.Abs(float64(e[i]))
		}
	}
	return ref, 8 * abs / (1 << 24)
}

// TestSumWhereIn checks the masked sum on every level against float64, at
// every length to 300 (every vector, group and tail boundary of both
// levels), longer ones across several float64 flushes, unaligned starts,
// and ranges that are open, closed on one value, empty or NaN-bounded,
// over keys with ties, NaN, ±Inf and denormals. The keys s·z + b must be
// ScaleShift's, bit for bit: the reference selects on ScaleShift's output.
func TestSumWhereIn(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	lengths := []int{}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 511, 512, 513, 1023, 4099, 65536+37)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(77)
		for _, n := range lengths {
			off := n % 5
			e := make([]float32, n+off)[off:]
			z := make([]float32, n+3)[3:]
			for i := range z {
				// Keys on a coarse grid, so that ties and the bounds
				// themselves occur; now and then a special value.
				z[i] = float32(r.IntN(41)-20) / 4
				e[i] = float32(r.ExpFloat64())
				switch r.IntN(64) {
				case 0:
					z[i] = nan
				case 1:
					z[i] = inf
				case 2:
					z[i] = -inf
				case 3:
					e[i] = math.Float32frombits(uint32(1 + r.IntN(1<<23))) // denormal
				case 4:
					e[i] = 0
				}
			}
			y := make([]float32, n)
			for _, sb := range [][2]float32{{1, 0}, {0.5, -0.25}, {-2, 1}, {float32(r.ExpFloat64()), float32(r.NormFloat64())}} {
				lmhead.ScaleShift(y, z, sb[0], sb[1])
				for _, b := range [][2]float32{
					{-inf, inf}, {0, inf}, {-inf, 0}, {-1.25, 2.5}, {1, 1}, {3, -3},
					{nan, inf}, {-inf, nan}, {inf, inf}, {-inf, -inf},
					{float32(r.NormFloat64() * 3), float32(r.NormFloat64()*3 + 3)},
				} {
					got := lmhead.SumWhereIn(e, z, sb[0], sb[1], b[0], b[1])
					ref, bound := sumWhereRef(e, y, b[0], b[1])
					if math.Abs(got-ref) > bound {
						t.Fatalf("n=%d key %v·z%+v in [%v, %v]: got %v, float64 ref %v ± %v", n, sb[0], sb[1], b[0], b[1], got, ref, bound)
					}
				}
			}
		}
	})
}

// TestSumWhereInSpecialE: an infinite selected e gives +Inf, a NaN one
// NaN, and unselected ones do not matter.
func TestSumWhereInSpecialE(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, n := range []int{1, 15, 16, 17, 257, 1000} {
			e, z := make([]float32, n), make([]float32, n)
			for i := range e {
				e[i], z[i] = 1, float32(i)
			}
			e[n-1] = float32(math.Inf(1))
			require.True(t, math.IsInf(lmhead.SumWhereIn(e, z, 1, 0, 0, float32(n)), 1), "n=%d", n)
			require.Equal(t, float64(n-1), lmhead.SumWhereIn(e, z, 1, 0, 0, float32(n-2)), "n=%d: +Inf outside the range", n)
			e[0] = float32(math.NaN())
			require.True(t, math.IsNaN(lmhead.SumWhereIn(e, z, 1, 0, 0, 0)), "n=%d", n)
			if n > 1 {
				require.Equal(t, float64(n-2), lmhead.SumWhereIn(e, z, 1, 0, 1, float32(n-2)), "n=%d: NaN outside the range", n)
			}
		}
	})
}

func TestSumWhereInPanics(t *testing.T) {
	require.PanicsWithValue(t, "lmhead.SumWhereIn: len(e)=2, len(z)=3, want equal", func() {
		lmhead.SumWhereIn(make([]float32, 2), make([]float32, 3), 1, 0, 0, 1)
	})
	require.Zero(t, lmhead.SumWhereIn(nil, nil, 1, 0, 0, 1))
}

func ExampleSumWhereIn() {
	e := []float32{0.5, 0.25, 0.125, 0.125}
	key := []float32{3, -1, 2, 7}
	inf := float32(math.Inf(1))
	fmt.Println(lmhead.SumWhereIn(e, key, 1, 0, 2, inf)) // key ≥ 2
	fmt.Println(lmhead.SumWhereIn(e, key, 1, -2, -1, 1)) // |key - 2| ≤ 1
	// Output:
	// 0.75
	// 0.625
}

// TestScaleExpSumDot checks the fused exponential, sum and dot on every
// level: dst bit for bit as ScaleExpSum writes it (the same exponential),
// the sum within ScaleExpSum's bound of Σ dst in float64, and the dot within
// 24·2⁻²⁴·Σ|dst·x| of the float64 dot, at every length to 300 and longer
// ones, for unaligned slices and in place. A -Inf score makes dot NaN.
func TestScaleExpSumDot(t *testing.T) {
	lengths := []int{}
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1023, 4099, 65536+37)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(78)
		for _, n := range lengths {
			off := n % 3
			x := make([]float32, n+off)[off:]
			for i := range x {
				x[i] = float32(r.NormFloat64() * 4)
			}
			s, c := float32(0.5+r.Float64()), float32(r.NormFloat64()*3)
			want := make([]float32, n)
			lmhead.ScaleExpSum(want, x, s, c)
			dst := make([]float32, n+1)[1:]
			sum, dot := lmhead.ScaleExpSumDot(dst, x, s, c)
			var rs, rd, ad float64
			for i := range x {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d [%d]: %v, ScaleExpSum wrote %v", n, i, dst[i], want[i])
				}
				rs += float64(dst[i])
				rd += float64(dst[i]) * float64(x[i])
				ad += math.Abs(float64(dst[i]) * float64(x[i]))
			}
			if math.Abs(sum-rs) > 8*rs/(1<<24) || math.Abs(dot-rd) > 24*ad/(1<<24)+1e-30 {
				t.Fatalf("n=%d: sum %v dot %v, float64 %v %v", n, sum, dot, rs, rd)
			}
			// In place.
			s2, d2 := lmhead.ScaleExpSumDot(x, x, s, c)
			if s2 != sum || math.Abs(d2-dot) > 24*ad/(1<<24)+1e-30 {
				t.Fatalf("n=%d in place: sum %v dot %v, want %v %v", n, s2, d2, sum, dot)
			}
		}
		// Every tail length with c = -100: the lanes past the tail would
		// hold e^100 = +Inf, which must not reach the sums.
		for n := 1; n <= 40; n++ {
			x := make([]float32, n)
			for i := range x {
				x[i] = -100
			}
			sum, dot := lmhead.ScaleExpSumDot(make([]float32, n), x, 1, -100)
			require.Equal(t, float64(n), sum, "n=%d", n)
			require.Equal(t, -100*float64(n), dot, "n=%d", n)
		}
		x := []float32{1, float32(math.Inf(-1)), 2}
		dst := make([]float32, 3)
		sum, dot := lmhead.ScaleExpSumDot(dst, x, 1, 2)
		require.InDelta(t, math.Exp(-1)+1, sum, 1e-6)
		require.True(t, math.IsNaN(dot), "dot with a -Inf score: %v", dot)
		require.Zero(t, dst[1])
	})
	require.PanicsWithValue(t, "lmhead.ScaleExpSumDot: len(dst)=2, len(x)=3, want equal", func() {
		lmhead.ScaleExpSumDot(make([]float32, 2), make([]float32, 3), 1, 0)
	})
}
