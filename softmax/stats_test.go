package softmax_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
	"github.com/lmhead/lmhead/softmax"
)

// splits returns k+1 cut points 0 = c0 <= c1 <= ... <= ck = n at random,
// empty parts included.
func splits(r *rand.Rand, n, k int) []int {
	cuts := []int{0, n}
	for i := 1; i < k; i++ {
		cuts = append(cuts, r.IntN(n+1))
	}
	slices.Sort(cuts)
	return cuts
}

// mergeTree merges st as a balanced tree: another association order than
// the left fold.
func mergeTree(st []softmax.Stats) softmax.Stats {
	switch len(st) {
	case 0:
		return softmax.Stats{}
	case 1:
		return st[0]
	}
	return softmax.Merge(mergeTree(st[:len(st)/2]), mergeTree(st[len(st)/2:]))
}

func bitsEqual(a, b softmax.Stats) bool {
	return math.Float64bits(a.Max) == math.Float64bits(b.Max) && math.Float64bits(a.Sum) == math.Float64bits(b.Sum)
}

// TestStatsMerge splits logits at random points into up to 8 parts,
// computes the parts' Stats, merges them in a shuffled left fold and in a
// balanced tree, and checks the log-sum-exp and every Normalize and
// LogNormalize output against the float64 reference of the unsplit vector,
// with the bounds of Softmax and LogSoftmax.
func TestStatsMerge(t *testing.T) {
	trials := 400
	if tu.Short() {
		trials = 60
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(51)
		for trial := 0; trial < trials; trial++ {
			n := 1 + r.IntN(700)
			if trial%50 == 0 {
				n = 20000 + r.IntN(5000)
			}
			x := make([]float32, n)
			g := generators[trial%len(generators)]
			temperature := g.gen(r, x)
			re := reference(x, temperature)
			cuts := splits(r, n, 1+r.IntN(8))
			what := fmt.Sprintf("trial %d %s n=%d cuts=%v τ=%v", trial, g.name, n, cuts, temperature)

			parts := make([]softmax.Stats, len(cuts)-1)
			for i := range parts {
				parts[i] = softmax.Partial(x[cuts[i]:cuts[i+1]], temperature)
			}
			whole := softmax.Partial(x, temperature)
			tree := mergeTree(parts)
			shuffled := slices.Clone(parts)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			var fold softmax.Stats
			for _, p := range shuffled {
				fold = softmax.Merge(fold, p)
			}
			for name, st := range map[string]softmax.Stats{"unsplit": whole, "tree": tree, "fold": fold} {
				if got := st.LogSumExp(); !tu.Close(got, re.lse, logBound(re.lse)) {
					t.Fatalf("%s %s: LogSumExp %v, want %v ± %v", name, what, got, re.lse, logBound(re.lse))
				}
			}
			// Normalize and LogNormalize every part with the merged
			// total (fold, the least balanced order).
			dst := make([]float32, n)
			for i := 0; i+1 < len(cuts); i++ {
				lo, hi := cuts[i], cuts[i+1]
				softmax.Normalize(dst[lo:hi], x[lo:hi], temperature, fold)
			}
			for i := range dst {
				if b := pBound(re.p[i], re.dev[i]); !tu.Close(dst[i], re.p[i], b) {
					t.Fatalf("Normalize %s: p[%d]=%v, want %v ± %v", what, i, dst[i], re.p[i], b)
				}
			}
			for i := 0; i+1 < len(cuts); i++ {
				lo, hi := cuts[i], cuts[i+1]
				softmax.LogNormalize(dst[lo:hi], x[lo:hi], temperature, tree)
			}
			for i := range dst {
				if b := logBound(re.logp[i]); !tu.Close(dst[i], re.logp[i], b) {
					t.Fatalf("LogNormalize %s: [%d]=%v, want %v ± %v", what, i, dst[i], re.logp[i], b)
				}
			}
		}
	})
}

// TestStatsAlgebra checks the laws Merge promises exactly: commutativity
// bit for bit, the zero Stats as identity, and the special forms.
func TestStatsAlgebra(t *testing.T) {
	tu.ForEachISA(t, testStatsAlgebra)
}

func testStatsAlgebra(t *testing.T, isa lmhead.ISA) {
	r := tu.Rand(52)
	negInf := float32(math.Inf(-1))
	nanSt := softmax.Partial([]float32{1, nan}, 1)
	infSt := softmax.Partial([]float32{1, inf}, 1)
	noMass := softmax.Partial([]float32{negInf, negInf}, 1)
	require.Equal(t, softmax.Stats{}, noMass, "all -Inf has no mass: the zero Stats")
	require.True(t, math.IsNaN(float64(nanSt.Max)) && math.IsNaN(nanSt.Sum), "NaN part: %+v", nanSt)
	require.Equal(t, softmax.Stats{Max: math.Inf(1), Sum: 1}, infSt)
	require.True(t, math.IsNaN(float64(softmax.Partial([]float32{inf, nan, 1}, 1).Max)), "NaN wins over +Inf")
	require.True(t, math.IsNaN(float64(softmax.Partial([]float32{negInf, nan}, 1).Max)), "NaN among -Inf")

	var all []softmax.Stats
	for i := 0; i < 40; i++ {
		x := make([]float32, 1+r.IntN(50))
		temperature := generators[i%len(generators)].gen(r, x)
		all = append(all, softmax.Partial(x, temperature))
	}
	all = append(all, softmax.Stats{}, nanSt, infSt, noMass)
	for _, a := range all {
		require.Truef(t, bitsEqual(softmax.Merge(a, softmax.Stats{}), a), "%+v ⊕ 0", a)
		require.Truef(t, bitsEqual(softmax.Merge(softmax.Stats{}, a), a), "0 ⊕ %+v", a)
		for _, b := range all {
			ab, ba := softmax.Merge(a, b), softmax.Merge(b, a)
			require.Truef(t, bitsEqual(ab, ba) || (math.IsNaN(ab.Sum) && math.IsNaN(ba.Sum)), "%+v ⊕ %+v = %+v, reversed %+v", a, b, ab, ba)
			switch {
			case math.IsNaN(a.Sum) || math.IsNaN(b.Sum) || math.IsNaN(float64(a.Max)) || math.IsNaN(float64(b.Max)):
				require.True(t, math.IsNaN(float64(ab.LogSumExp())))
			case a == infSt || b == infSt:
				require.Equal(t, inf, ab.LogSumExp())
			default:
				// Associativity up to rounding, through the
				// log-sum-exp.
				for _, c := range all[:10] {
					l := softmax.Merge(softmax.Merge(a, b), c).LogSumExp()
					rr := softmax.Merge(a, softmax.Merge(b, c)).LogSumExp()
					require.InDeltaf(t, l, rr, float64(logBound(float64(l))), "(a⊕b)⊕c vs a⊕(b⊕c)")
				}
			}
		}
	}
}

// TestPartialSlow checks Partial's fallback path (recomputing the sum with
// a fixed shift, or with the maximum subtracted first) on every generator.
func TestPartialSlow(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(53)
		for trial := 0; trial < 60; trial++ {
			n := 1 + r.IntN(9000)
			x := make([]float32, n)
			g := generators[trial%len(generators)]
			temperature := g.gen(r, x)
			re := reference(x, temperature)
			st := softmax.PartialSlow(x, temperature)
			what := fmt.Sprintf("%s n=%d τ=%v", g.name, n, temperature)
			if got := st.LogSumExp(); !tu.Close(got, re.lse, logBound(re.lse)) {
				t.Fatalf("PartialSlow %s: LogSumExp %v, want %v ± %v", what, got, re.lse, logBound(re.lse))
			}
			dst := make([]float32, n)
			softmax.Normalize(dst, x, temperature, st)
			for i := range dst {
				if b := pBound(re.p[i], re.dev[i]); !tu.Close(dst[i], re.p[i], b) {
					t.Fatalf("Normalize with PartialSlow %s: p[%d]=%v, want %v ± %v", what, i, dst[i], re.p[i], b)
				}
			}
		}
	})
}
