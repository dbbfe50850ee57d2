package head

import (
	"cmp"
	"math"
	"slices"
)

// Partial selection without sorting.
//
// Top-k and top-p both keep a prefix of the canonical order: scores from
// highest to lowest, equal scores by lower index. The selector finds that
// prefix with a three-level radix select on the order-preserving 32-bit
// key of each score (11, 11 and 10 bits): one histogram of counts and
// probability mass over the candidates, a walk over at most 2048 buckets
// from the top to the bucket where the prefix's count or mass reaches its
// target, and a gather of that boundary bucket, whose elements are the
// only ones the next level looks at. After the third level the boundary
// holds equal scores only, in index order, and is walked one by one. The
// cost is two passes over the candidates plus work on the boundary; a
// full sort would be n·log₂n comparisons (17 per element at n = 128k).

// key maps a float32 score to a uint32 that orders the same way (a
// larger score gives a larger key). -0 and +0 map to one key, so that they
// tie as scores. NaN must have been removed by the caller.
//
// Negative scores have all bits flipped, positive ones the sign bit set;
// f + 0 turns -0 into +0 first. No branch: the compaction loops call it
// on every score.
func key(f float32) uint32 {
	b := math.Float32bits(f + 0)
	return b ^ (uint32(int32(b)>>31) | 0x80000000)
}

// appendGE appends off+i for every i with e[i] ≥ t (t ≥ 0, e without
// NaN). The loop has no branch: it stores every index and advances only
// past those that pass (non-negative floats order like their bits).
func appendGE(buf []int32, e []float32, off int, t float32) []int32 {
	n := len(buf)
	buf = slices.Grow(buf, len(e))[:n+len(e)]
	tb := uint64(math.Float32bits(t))
	for i, v := range e {
		buf[n] = int32(off + i)
		n += int(1 ^ (uint64(math.Float32bits(v))-tb)>>63)
	}
	return buf[:n]
}

// appendKeyGE appends off+i for every i with key(x[i]) ≥ t, like appendGE.
func appendKeyGE(buf []int32, x []float32, off int, t uint32) []int32 {
	n := len(buf)
	buf = slices.Grow(buf, len(x))[:n+len(x)]
	tb := uint64(t)
	for i, v := range x {
		buf[n] = int32(off + i)
		n += int(1 ^ (uint64(key(v))-tb)>>63)
	}
	return buf[:n]
}

// topKSample is the sample size of topKCandidates.
const topKSample = 256

// topKCandidates returns the indices of a set of scores that contains the
// k highest and everything that ties with them, found without looking at
// all scores twice: the threshold is an order statistic of 256 scores
// sampled at a fixed stride, chosen so that about twice k scores (plus a
// margin) are expected above it, and one branch-free pass gathers them
// (Floyd & Rivest's sample select). It returns nil when k is too large a
// fraction of x for that to pay, or when the sample was unlucky and fewer
// than k scores passed; the caller then selects among all.
func (s *selector) topKCandidates(x []float32, k int) []int32 {
	n := len(x)
	if n < 64*topKSample || 8*k > n {
		return nil
	}
	r := 2*k*topKSample/n + 8 // rank in the sample, from the top
	if r >= topKSample/2 {
		return nil
	}
	step := n / topKSample
	sample := s.sample[:]
	for j := range sample {
		sample[j] = key(x[j*step+(j*7919)%step])
	}
	slices.Sort(sample)
	s.cand = appendKeyGE(s.cand[:0], x, 0, sample[topKSample-r])
	if len(s.cand) < k {
		return nil
	}
	return s.cand
}

const (
	radixBuckets = 1 << 11
	// sortBelow is the list size under which sorting beats another radix
	// level (which clears and walks 2048 buckets).
	sortBelow = 96
)

// selector holds the scratch of one selection. It is reused between calls
// and never shared between goroutines.
type selector struct {
	cnt    [radixBuckets]uint32
	mass   [radixBuckets]float64
	kept   []int32
	bound  []int32
	next   []int32
	cand   []int32
	sample [topKSample]uint32
}

// goal is what a prefix must reach: a number of elements (byCount) or a
// probability mass.
type goal struct {
	byCount bool
	want    float64
}

func (g goal) reached(count int, mass float64) bool {
	if g.byCount {
		return float64(count) >= g.want
	}
	return mass >= g.want
}

// prefix finds the shortest prefix of the canonical order of the
// candidates that reaches g, and returns its elements (in no particular
// order, but equal scores in index order) and their total mass Σ e[i].
//
// The candidates are cand, in index order, or every index when cand is
// nil. e may be nil when g counts. If no prefix reaches g, all reports true
// and kept is nil.
//
// The returned slice aliases the selector's scratch and is valid until the
// next call.
func (s *selector) prefix(x, e []float32, cand []int32, g goal) (kept []int32, mass float64, all bool) {
	s.kept = s.kept[:0]
	if cand != nil && len(cand) <= sortBelow {
		return s.walkSorted(x, e, cand, g, 0, 0)
	}
	// Level 0: histogram of the top 11 key bits.
	clear(s.cnt[:])
	clear(s.mass[:])
	switch {
	case cand != nil:
		for _, i := range cand {
			d := key(x[i]) >> 21
			s.cnt[d]++
			if e != nil {
				s.mass[d] += float64(e[i])
			}
		}
	case e == nil:
		for _, v := range x {
			s.cnt[key(v)>>21]++
		}
	default:
		e = e[:len(x)]
		for i, v := range x {
			d := key(v) >> 21
			s.cnt[d]++
			s.mass[d] += float64(e[i])
		}
	}
	count, m := 0, 0.0
	b, found := s.walk(g, &count, &m)
	if !found {
		return nil, m, true
	}
	// Gather the buckets above b (kept) and b itself (boundary).
	s.bound = s.bound[:0]
	switch {
	case cand != nil:
		for _, i := range cand {
			d := key(x[i]) >> 21
			if d > b {
				s.kept = append(s.kept, i)
			} else if d == b {
				s.bound = append(s.bound, i)
			}
		}
	default:
		for i, v := range x {
			d := key(v) >> 21
			if d > b {
				s.kept = append(s.kept, int32(i))
			} else if d == b {
				s.bound = append(s.bound, int32(i))
			}
		}
	}
	// Levels 1 and 2 on the boundary only.
	for _, lv := range [...]struct {
		shift uint
		mask  uint32
	}{{10, 0x7ff}, {0, 0x3ff}} {
		if len(s.bound) <= sortBelow {
			break
		}
		clear(s.cnt[:])
		clear(s.mass[:])
		for _, i := range s.bound {
			d := key(x[i]) >> lv.shift & lv.mask
			s.cnt[d]++
			if e != nil {
				s.mass[d] += float64(e[i])
			}
		}
		b, found := s.walk(g, &count, &m)
		if !found {
			// Rounding: the boundary bucket reached the goal in the level
			// above, but its finer buckets sum to slightly less. Keep all
			// of it (walk has added all of it to count and m).
			s.kept = append(s.kept, s.bound...)
			s.bound = s.bound[:0]
			break
		}
		s.next = s.next[:0]
		for _, i := range s.bound {
			d := key(x[i]) >> lv.shift & lv.mask
			if d > b {
				s.kept = append(s.kept, i)
			} else if d == b {
				s.next = append(s.next, i)
			}
		}
		s.bound, s.next = s.next, s.bound
	}
	kept, m, _ = s.walkSorted(x, e, s.bound, g, count, m)
	return kept, m, false
}

// walk goes down the histogram from the top bucket, adding each bucket to
// count and mass, and returns the first bucket with which the goal is
// reached; count and mass are left at the total of the buckets above it.
func (s *selector) walk(g goal, count *int, mass *float64) (uint32, bool) {
	c, m := *count, *mass
	for d := radixBuckets - 1; d >= 0; d-- {
		n := s.cnt[d]
		if n == 0 {
			continue
		}
		c2, m2 := c+int(n), m+s.mass[d]
		if g.reached(c2, m2) {
			*count, *mass = c, m
			return uint32(d), true
		}
		c, m = c2, m2
	}
	*count, *mass = c, m
	return 0, false
}

// walkSorted sorts list into canonical order and appends its elements to
// s.kept until the goal (counting from count and mass) is reached. It
// returns s.kept and the mass of all of it. If the goal is never reached,
// all of list is kept and all is true.
func (s *selector) walkSorted(x, e []float32, list []int32, g goal, count int, mass float64) (kept []int32, m float64, all bool) {
	sortCanonical(x, list)
	for _, i := range list {
		s.kept = append(s.kept, i)
		count++
		if e != nil {
			mass += float64(e[i])
		}
		if g.reached(count, mass) {
			return s.kept, mass, false
		}
	}
	return s.kept, mass, true
}

// sortCanonical sorts the indices in list by score descending, equal
// scores by lower index.
func sortCanonical(x []float32, list []int32) {
	slices.SortFunc(list, func(a, b int32) int {
		if c := cmp.Compare(key(x[b]), key(x[a])); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}
