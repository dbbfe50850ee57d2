package head

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	tu "github.com/lmhead/lmhead/internal/testutil"
)

func TestKeyOrder(t *testing.T) {
	vals := []float32{float32(math.Inf(-1)), -math.MaxFloat32, -1, -math.SmallestNonzeroFloat32, 0,
		math.SmallestNonzeroFloat32, 1, 1.0000001, math.MaxFloat32, float32(math.Inf(1))}
	for i := 1; i < len(vals); i++ {
		require.Less(t, key(vals[i-1]), key(vals[i]), "%v < %v", vals[i-1], vals[i])
	}
	require.Equal(t, key(0), key(float32(math.Copysign(0, -1))), "-0 ties with +0")
}

// refPrefix is the sort-based reference: canonical order, then the
// shortest prefix reaching g.
func refPrefix(x, e []float32, cand []int32, g goal) (kept []int32, all bool, margin float64) {
	order := slices.Clone(cand)
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(x[b], x[a]) })
	var mass float64
	for j, i := range order {
		mass += float64(e[i])
		if g.reached(j+1, mass) {
			return order[:j+1], false, math.Abs(mass - g.want)
		}
	}
	return order, true, 0
}

func sortedSet(s []int32) []int32 {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestPrefix checks the radix selection against sorting on data with
// every kind of structure: distinct values, heavy ties, all equal, -Inf,
// a dominant token, for count and mass goals, on all indices, with the
// floor that skips the tail, and on candidate lists.
func TestPrefix(t *testing.T) {
	r := tu.Rand(30)
	gens := map[string]func(n int) []float32{
		"normal": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 3)
			}
			return x
		},
		"ties": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.IntN(7)) * 0.5
			}
			return x
		},
		"equal": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = 1.25
			}
			return x
		},
		"close": func(n int) []float32 { // differ in low mantissa bits only
			x := make([]float32, n)
			for i := range x {
				x[i] = math.Float32frombits(0x40000000 + uint32(r.IntN(5000)))
			}
			return x
		},
		"masked": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
				if r.IntN(3) == 0 {
					x[i] = float32(math.Inf(-1))
				}
			}
			x[0] = 0
			return x
		},
		"peaked": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			x[n/2] = 30
			return x
		},
	}
	s := new(selector)
	sizes := []int{1, 2, 50, 97, 300, 5000, 40000, 130000}
	if tu.Short() {
		sizes = sizes[:6]
	}
	mismatches := 0
	for name, gen := range gens {
		for _, n := range sizes {
			x := gen(n)
			m := slices.Max(x)
			e := make([]float32, n)
			for i, v := range x {
				e[i] = float32(math.Exp(float64(v - m)))
			}
			all := make([]int32, n)
			for i := range all {
				all[i] = int32(i)
			}
			var sub []int32 // every third index, in index order
			for i := 0; i < n; i += 3 {
				sub = append(sub, int32(i))
			}
			var goals []goal
			for _, k := range []int{1, 2, 40, 1000, n / 3, n - 1, n} {
				if k >= 1 && k <= n {
					goals = append(goals, goal{byCount: true, want: float64(k)})
				}
			}
			var total float64
			for _, v := range e {
				total += float64(v)
			}
			for _, p := range []float64{0.01, 0.3, 0.9, 0.999} {
				goals = append(goals, goal{want: p * total})
			}
			for _, g := range goals {
				for _, useSub := range []bool{false, true} {
					cand, candArg := all, []int32(nil)
					if useSub {
						cand, candArg = sub, sub
					}
					want, wantAll, margin := refPrefix(x, e, cand, g)
					prefilters := []string{"none"}
					if !useSub {
						prefilters = append(prefilters, "sampler")
					}
					for _, pre := range prefilters {
						what := fmt.Sprintf("%s n=%d goal=%+v sub=%v prefilter=%s", name, n, g, useSub, pre)
						arg := candArg
						if pre == "sampler" {
							// What Sampler.sample hands to prefix: the
							// sampled top-k threshold, or the top-p floor.
							if g.byCount {
								arg = s.topKCandidates(x, int(g.want))
							} else {
								floor := float32(0.5 * (1 - g.want/total) * total / float64(n))
								arg = appendGE(nil, e, 0, floor)
							}
						}
						got, _, gotAll := s.prefix(x, e, arg, g)
						if wantAll && gotAll {
							continue
						}
						if wantAll || gotAll {
							// Only mass goals at the rounding edge of the
							// total can miss; then everything is kept.
							require.False(t, g.byCount, what)
							mismatches++
							continue
						}
						if !slices.Equal(sortedSet(want), sortedSet(got)) {
							// The masses are summed in another order than
							// the reference's; a boundary within rounding
							// of the goal may move by one token.
							require.Lessf(t, margin, 1e-9*g.want+1e-30, "%s: %d kept, want %d", what, len(got), len(want))
							require.InDelta(t, len(want), len(got), 1, what)
							mismatches++
						}
					}
				}
			}
		}
	}
	t.Logf("%d boundary-within-rounding differences", mismatches)
	require.Less(t, mismatches, 5)
}

// TestTopKCandidates checks the sample-select prefilter: when it returns a
// set, the set holds at least k scores and is closed upwards (nothing
// outside it beats anything inside), and it is small.
func TestTopKCandidates(t *testing.T) {
	r := tu.Rand(31)
	s := new(selector)
	ns := []int{1 << 14, 50000, 128256}
	if tu.Short() {
		ns = ns[:1]
	}
	for _, n := range ns {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
			if i%5 == 0 {
				x[i] = float32(r.IntN(4)) // ties
			}
		}
		for _, k := range []int{1, 2, 40, 1000, n / 9} {
			cand := s.topKCandidates(x, k)
			require.NotNil(t, cand, "n=%d k=%d", n, k)
			require.GreaterOrEqual(t, len(cand), k)
			require.Less(t, len(cand), max(16*k, n/4), "n=%d k=%d: the prefilter keeps too much", n, k)
			in := make([]bool, n)
			lo := uint32(math.MaxUint32)
			for _, i := range cand {
				in[i] = true
				lo = min(lo, key(x[i]))
			}
			for i, v := range x {
				if !in[i] {
					require.Less(t, key(v), lo, "n=%d k=%d: x[%d]=%v left out", n, k, i, v)
				}
			}
		}
		require.Nil(t, s.topKCandidates(x, n/7), "k too large a fraction")
	}
	require.Nil(t, s.topKCandidates(make([]float32, 1000), 5), "n too small")
}
