package head

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// refKept is the sort-based reference of the filters on the sampler's own
// weights e (so that only the selection is compared, not the exp): the
// canonical order, the top-k prefix, the top-p prefix of the renormalized
// masses, the min-p threshold. It also returns how close the top-p
// boundary was to its target, relative.
func refKept(sorted []int, e []float32, c SamplerConfig) (kept []int, margin float64) {
	order := slices.Clone(sorted)
	margin = math.Inf(1)
	if c.TopK > 0 && c.TopK < len(e) {
		order = order[:c.TopK]
	}
	if c.TopP > 0 && c.TopP < 1 {
		var tot float64
		for _, i := range order {
			tot += float64(e[i])
		}
		target := float64(c.TopP) * tot
		var cum float64
		for j, i := range order {
			prev := cum
			cum += float64(e[i])
			if cum >= target {
				margin = min(cum-target, target-prev) / target
				order = order[:j+1]
				break
			}
		}
	}
	if c.MinP > 0 {
		thr := c.MinP * e[order[0]]
		var out []int
		for _, i := range order {
			if e[i] >= thr {
				out = append(out, i)
			}
		}
		order = out
	}
	slices.Sort(order)
	return order, margin
}

// TestFilterMatchesSort runs the sampler's filters (block statistics,
// thresholds, gathering, radix selection) on large random score vectors
// and checks the kept set against the sort-based reference, token by
// token.
func TestFilterMatchesSort(t *testing.T) {
	r := tu.Rand(32)
	gens := map[string]func(n int) []float32{
		"normal1": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			return x
		},
		"normal3": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 3)
			}
			return x
		},
		"peaked": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 2.5)
			}
			for i := range 20 {
				x[r.IntN(n)] = 12 + float32(i)*0.4
			}
			return x
		},
		"ties-masked": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.IntN(9)) * 0.75
				if r.IntN(4) == 0 {
					x[i] = float32(math.Inf(-1))
				}
			}
			return x
		},
	}
	sizes := []int{50, 3000, 30000, 128256}
	if tu.Short() {
		sizes = sizes[:3]
	}
	var cfgs []SamplerConfig
	for _, k := range []int{0, 1, 7, 60, 2000} {
		for _, p := range []float32{1, 0.2, 0.9, 0.995} {
			for _, mp := range []float32{0, 0.05} {
				for _, tau := range []float32{0.6, 1.7} {
					cfgs = append(cfgs, SamplerConfig{Temperature: tau, TopK: k, TopP: p, MinP: mp})
				}
			}
		}
	}
	close := 0
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for name, gen := range gens {
			for _, n := range sizes {
				x := gen(n)
				sorted := make([]int, n)
				for i := range sorted {
					sorted[i] = i
				}
				slices.SortStableFunc(sorted, func(a, b int) int { return cmp.Compare(x[b], x[a]) })
				for _, c := range cfgs {
					s, err := NewSampler(c)
					require.NoError(t, err)
					m := s.blockMax(x)
					inv := s.s
					s.e = grow32(s.e, n)
					list := s.filter(x, inv, inv*m, true)
					what := fmt.Sprintf("%s n=%d %+v", name, n, c)
					if list == nil {
						require.True(t, c.TopK <= 0 || c.TopK >= n, what)
						require.True(t, c.TopP == 0 || c.TopP == 1, what)
						require.Zero(t, c.MinP, what)
						continue
					}
					// e is valid where the filters looked; recompute it in
					// full for the reference with the same kernel.
					e := make([]float32, n)
					lmhead.ScaleExpSum(e, x, inv, inv*m)
					for _, i := range list {
						require.Equal(t, e[i], s.e[i], "%s: e[%d]", what, i)
					}
					want, margin := refKept(sorted, e, c)
					got := make([]int, len(list))
					for j, i := range list {
						got[j] = int(i)
					}
					slices.Sort(got)
					if !slices.Equal(want, got) {
						require.Lessf(t, margin, 1e-9, "%s: kept %d tokens, want %d", what, len(got), len(want))
						close++
					}
				}
			}
		}
	})
	t.Logf("%d top-p boundaries within rounding of the target", close)
}
