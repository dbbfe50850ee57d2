package head_test

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// The benchmarks of the issue. Compare within one run (the machine is
// shared):
//
//	go test -run '^$' -bench . -count 6 ./head | tee bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest bench.txt
//
// Llama 2 7B's head is 32000×4096 (512 MB of float32 W): every projection
// streams it from memory, so Gemv's time is the floor and Greedy and Sample
// should add only their per-token work.

const (
	llamaV, llamaD = 32000, 4096
)

var (
	bigOnce   sync.Once
	bigW      []float32
	bigHidden []float32
)

// llamaWeights returns the shared 32000×4096 W (filled once).
func llamaWeights() ([]float32, []float32) {
	bigOnce.Do(func() {
		r := tu.Rand(100)
		bigW = make([]float32, llamaV*llamaD)
		for i := range bigW {
			// Small values like a trained head; the scale does not matter
			// to speed.
			bigW[i] = (2*r.Float32() - 1) * 0.05
		}
		bigHidden = fill(r, llamaD, 1)
	})
	return bigW, bigHidden
}

func llamaHead(b *testing.B, workers int) *head.Head {
	w, _ := llamaWeights()
	h, err := head.New(head.Config{Vocab: llamaV, Hidden: llamaD, Weight: w, Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkGemvBaseline is lmhead.Gemv alone at the Llama 2 7B shape: the
// time every head method is compared against.
func BenchmarkGemvBaseline(b *testing.B) {
	w, x := llamaWeights()
	dst := make([]float32, llamaV)
	b.SetBytes(int64(len(w)) * 4)
	for b.Loop() {
		lmhead.Gemv(dst, w, x)
	}
}

// BenchmarkGreedy is the fused projection + argmax on one worker.
func BenchmarkGreedy(b *testing.B) {
	h := llamaHead(b, 1)
	_, x := llamaWeights()
	b.SetBytes(llamaV * llamaD * 4)
	for b.Loop() {
		h.Greedy(x)
	}
}

// BenchmarkLogits is the projection into a V buffer on one worker.
func BenchmarkLogits(b *testing.B) {
	h := llamaHead(b, 1)
	_, x := llamaWeights()
	dst := make([]float32, llamaV)
	b.SetBytes(llamaV * llamaD * 4)
	for b.Loop() {
		h.Logits(dst, x)
	}
}

// BenchmarkSampleTopP is Head.Sample with temperature 0.8 and top-p 0.9 on
// one worker.
func BenchmarkSampleTopP(b *testing.B) {
	h := llamaHead(b, 1)
	_, x := llamaWeights()
	s, err := head.NewSampler(head.SamplerConfig{Temperature: 0.8, TopP: 0.9, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(llamaV * llamaD * 4)
	for b.Loop() {
		if _, err := h.Sample(x, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkers is Logits at the Llama shape with 1 and 2 workers, and
// BenchmarkReadBandwidth the memory roofline for each: one goroutine, then
// two goroutines each lmhead.Sum over half of W.
func BenchmarkWorkers(b *testing.B) {
	_, x := llamaWeights()
	dst := make([]float32, llamaV)
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "1", 2: "2"}[w], func(b *testing.B) {
			h := llamaHead(b, w)
			b.SetBytes(llamaV * llamaD * 4)
			for b.Loop() {
				h.Logits(dst, x)
			}
		})
	}
}

func BenchmarkReadBandwidth(b *testing.B) {
	w, _ := llamaWeights()
	b.Run("1", func(b *testing.B) {
		b.SetBytes(int64(len(w)) * 4)
		for b.Loop() {
			lmhead.Sum(w)
		}
	})
	b.Run("2", func(b *testing.B) {
		half := len(w) / 2
		b.SetBytes(int64(len(w)) * 4)
		// Two standing goroutines, as the head's worker pool has, so that
		// goroutine start-up is not what is measured.
		start := make(chan struct{})
		var wg sync.WaitGroup
		done := make(chan struct{})
		go func() {
			for range start {
				lmhead.Sum(w[half:])
				wg.Done()
			}
			close(done)
		}()
		for b.Loop() {
			wg.Add(1)
			start <- struct{}{}
			lmhead.Sum(w[:half])
			wg.Wait()
		}
		close(start)
		<-done
	})
}

// scores128k are Llama 3 sized (128256) logits, Gaussian with σ = 2.5 (a
// plausible spread of a trained head). "peaked" adds twenty clear
// favourites, so that the nucleus is a handful of tokens; "flat" has none,
// so that it is thousands.
func scores128k(peaked bool) []float32 {
	r := tu.Rand(101)
	x := make([]float32, 128256)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 2.5)
	}
	if peaked {
		for i := range 20 {
			x[r.IntN(len(x))] = 14 + float32(i)*0.3
		}
	}
	return x
}

var samplerCases = []struct {
	name   string
	peaked bool
	tau    float32
}{{"peaked", true, 1}, {"flat", false, 1}, {"flat-τ=0.7", false, 0.7}}

// BenchmarkSamplerTopP128k is Sampler.Sample with top-p 0.9 on 128256
// scores; BenchmarkSortSamplerTopP128k is the same draw done by sorting all
// scores, the reference it must beat by 10×. The nucleus metric is the
// number of tokens top-p keeps.
func BenchmarkSamplerTopP128k(b *testing.B) {
	for _, c := range samplerCases {
		x := scores128k(c.peaked)
		b.Run(c.name, func(b *testing.B) {
			s, err := head.NewSampler(head.SamplerConfig{Temperature: c.tau, TopP: 0.9, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(x)) * 4)
			for b.Loop() {
				if _, err := s.Sample(x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(nucleus(x, c.tau, 0.9)), "nucleus")
		})
	}
}

// BenchmarkSamplerTopK128k is Sampler.Sample with top-k 50 (and then top-p
// 0.9) on 128256 scores.
func BenchmarkSamplerTopK128k(b *testing.B) {
	x := scores128k(false)
	for _, c := range []head.SamplerConfig{{Temperature: 1, TopK: 50, TopP: 1}, {Temperature: 1, TopK: 50, TopP: 0.9}} {
		b.Run(map[bool]string{false: "k=50", true: "k=50,p=0.9"}[c.TopP < 1], func(b *testing.B) {
			s, err := head.NewSampler(c)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(x)) * 4)
			for b.Loop() {
				if _, err := s.Sample(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sortSampler is the textbook top-p sampler: softmax, sort every token by
// probability, cut the prefix at p, draw.
type sortSampler struct {
	rng  *rand.Rand
	p    []float64
	idx  []int32
	tau  float64
	topP float64
}

func (s *sortSampler) sample(x []float32) int {
	n := len(x)
	if cap(s.p) < n {
		s.p, s.idx = make([]float64, n), make([]int32, n)
	}
	p, idx := s.p[:n], s.idx[:n]
	m := float64(slices.Max(x))
	var z float64
	for i, v := range x {
		p[i] = math.Exp((float64(v) - m) / s.tau)
		z += p[i]
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := cmp.Compare(p[b], p[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var cum float64
	cut := n
	for j, i := range idx {
		cum += p[i]
		if cum >= s.topP*z {
			cut = j + 1
			break
		}
	}
	u := s.rng.Float64() * cum
	for _, i := range idx[:cut] {
		u -= p[i]
		if u < 0 {
			return int(i)
		}
	}
	return int(idx[cut-1])
}

func BenchmarkSortSamplerTopP128k(b *testing.B) {
	for _, c := range samplerCases {
		x := scores128k(c.peaked)
		b.Run(c.name, func(b *testing.B) {
			s := &sortSampler{rng: tu.Rand(1), tau: float64(c.tau), topP: 0.9}
			b.SetBytes(int64(len(x)) * 4)
			for b.Loop() {
				s.sample(x)
			}
		})
	}
}

// nucleus is the number of tokens top-p keeps.
func nucleus(x []float32, tau, p float32) int {
	d := refDist(x, head.SamplerConfig{Temperature: tau, TopP: p})
	n := 0
	for _, v := range d {
		if v > 0 {
			n++
		}
	}
	return n
}

// BenchmarkMoS is a Mixture of Softmaxes (Logits: the mixture's
// log-probabilities) at d = e = 1024, V = 32000, against one plain head of
// the same V×e; K plain heads cost K times that.
func BenchmarkMoS(b *testing.B) {
	const V, d = 32000, 1024
	r := tu.Rand(102)
	w := fill(r, V*d, 0.05)
	x := fill(r, d, 1)
	dst := make([]float32, V)
	b.Run("plain", func(b *testing.B) {
		h, err := head.New(head.Config{Vocab: V, Hidden: d, Weight: w, Workers: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(V * d * 4)
		for b.Loop() {
			h.Logits(dst, x)
		}
	})
	for _, K := range []int{4, 15} {
		b.Run(map[int]string{4: "K=4", 15: "K=15"}[K], func(b *testing.B) {
			m := &head.MoS{K: K, Prior: fill(r, K*d, 0.05), Latent: fill(r, K*d*d, 0.05)}
			h, err := head.New(head.Config{Vocab: V, Hidden: d, Weight: w, MoS: m, Workers: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(K) * (V*d + d*d) * 4)
			for b.Loop() {
				h.Logits(dst, x)
			}
			runtime.KeepAlive(m)
		})
	}
}
