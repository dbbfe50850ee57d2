package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/klauspost/cpuid/v2"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/head"
)

// report is everything the command prints; its JSON form is the -json
// output.
type report struct {
	CPU       string   `json:"cpu"`
	Supported []string `json:"supported"`
	Active    string   `json:"active"`
	Config    struct {
		Vocab       int     `json:"vocab"`
		Hidden      int     `json:"hidden"`
		Format      string  `json:"format"`
		MoS         int     `json:"mos"`
		Workers     int     `json:"workers"`
		Steps       int     `json:"steps"`
		Seed        uint64  `json:"seed"`
		Temperature float64 `json:"temperature"`
		TopK        int     `json:"top_k"`
		TopP        float64 `json:"top_p"`
		MinP        float64 `json:"min_p"`
	} `json:"config"`
	Model         *modelInfo  `json:"model,omitempty"`
	WeightBytes   uint64      `json:"weight_bytes"`
	WeightSeconds float64     `json:"weight_seconds"`
	Top           []topList   `json:"top"`
	Samples       []int       `json:"samples"`
	Timing        []timingRow `json:"timing"`
	ReadGBps      float64     `json:"read_gb_per_s"`
}

// topList is the most likely tokens at one temperature.
type topList struct {
	Temperature float64    `json:"temperature"`
	Tokens      []topToken `json:"tokens"`
}

type topToken struct {
	ID   int     `json:"id"`
	Text string  `json:"text,omitempty"`
	Prob float64 `json:"prob"`
}

// timingRow is one timed operation. GBps and PctRead count the weight
// bytes each step streams; Speedup is the generic kernels' median over
// this one's.
type timingRow struct {
	Op            string  `json:"op"`
	MedianSeconds float64 `json:"median_seconds"`
	GBps          float64 `json:"gb_per_s"`
	PctRead       float64 `json:"pct_of_read_bandwidth"`
	GenericSecs   float64 `json:"generic_median_seconds"`
	Speedup       float64 `json:"speedup_vs_generic"`
}

// The seeded model. Entries of the unembedding are uniform in ±√(3/d), so
// that each row has unit expected squared norm; the hidden state is uniform
// with standard deviation logitStd, so the logits have about that standard
// deviation too: with 32000 tokens the best has a few percent of the mass
// at τ = 1, as a language model's next token often does.
const logitStd = 3

// mosLogitScale restores that spread for a MoS head, whose latent states
// are tanh outputs of standard deviation about 0.6.
const mosLogitScale = 5

// Streams of the seeded generator, one per matrix, so that each matrix
// depends only on the seed and its shape.
const (
	streamEmbedding = iota + 1
	streamHidden
	streamPrior
	streamLatent
)

// sampled is how many tokens the sampler draws.
const sampled = 16

// demo builds the head, computes the report and times it.
func demo(o *options, progress io.Writer) (*report, error) {
	r := &report{CPU: cpuid.CPU.BrandName, Active: lmhead.Active().String()}
	if r.CPU == "" {
		r.CPU = "unknown (" + runtime.GOARCH + ")"
	}
	for _, i := range lmhead.Supported() {
		r.Supported = append(r.Supported, i.String())
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c := &r.Config
	c.Vocab, c.Hidden, c.MoS, c.Workers, c.Steps, c.Seed = o.vocab, o.hidden, o.mos, workers, o.steps, o.seed
	c.Format = o.format.String()
	c.Temperature, c.TopK, c.TopP, c.MinP = o.temperature, o.topK, o.topP, o.minP

	var (
		h      *head.Head
		hidden []float32
		err    error
	)
	if o.model != "" {
		var info *modelInfo
		if h, info, hidden, err = openModel(o, workers); err != nil {
			return nil, err
		}
		defer h.Close()
		r.Model = info
		c.Vocab, c.Hidden, c.Format = h.Vocab(), h.Hidden(), info.Format
		r.WeightBytes = uint64(len(h.Unembedding().Bytes()))
	} else if h, hidden, err = seeded(o, r, workers, progress); err != nil {
		return nil, err
	}
	tokens := h.Tokens()

	for _, t := range []float64{1, 0.7} {
		l := topList{Temperature: t}
		for _, tok := range h.TopK(hidden, 10, float32(t)) {
			tt := topToken{ID: tok.ID, Prob: math.Exp(float64(tok.LogProb))}
			if tok.ID < len(tokens) {
				tt.Text = tokens[tok.ID]
			}
			l.Tokens = append(l.Tokens, tt)
		}
		r.Top = append(r.Top, l)
	}

	sc := head.SamplerConfig{
		Temperature: float32(o.temperature), TopK: o.topK, TopP: float32(o.topP), MinP: float32(o.minP), Seed: o.seed,
	}
	s, err := head.NewSampler(sc)
	if err != nil {
		return nil, err
	}
	for range sampled {
		tok, err := h.Sample(hidden, s)
		if err != nil {
			return nil, err
		}
		r.Samples = append(r.Samples, tok)
	}

	if err := r.time(h, h.Unembedding().Bytes(), hidden, sc, o.steps, workers); err != nil {
		return nil, err
	}
	return r, nil
}

// seeded builds the seeded head of the flags and its seeded hidden state,
// and fills the report's weight figures.
func seeded(o *options, r *report, workers int, progress io.Writer) (*head.Head, []float32, error) {
	// The seeded weights, generated in parallel with a progress line, and
	// quantized to the format asked for.
	r.WeightBytes = weightBytes(o)
	start := time.Now()
	gen := newGenerator(o.seed, r.WeightBytes/4, workers, progress)
	d := o.hidden
	emb := gen.uniform(streamEmbedding, o.vocab*d, math.Sqrt(3/float64(d)))
	m, err := quantize(o.format, emb, o.vocab, d, workers)
	if err != nil {
		return nil, nil, err
	}
	emb = nil
	// The bytes of the unembedding per step, and those of the MoS
	// matrices, which stay float32.
	r.WeightBytes += uint64(len(m.Bytes())) - 4*uint64(o.vocab)*uint64(d)
	cfg := head.TiedMatrix(m)
	cfg.Workers = workers
	if o.mos > 0 {
		// The prior's logits and every latent pre-activation have unit
		// standard deviation, given the hidden state's logitStd.
		scale := math.Sqrt(3/float64(d)) / logitStd
		cfg.MoS = &head.MoS{
			K:      o.mos,
			Prior:  gen.uniform(streamPrior, o.mos*d, scale),
			Latent: gen.uniform(streamLatent, o.mos*d*d, scale),
		}
		cfg.LogitScale = mosLogitScale
	}
	gen.done()
	r.WeightSeconds = time.Since(start).Seconds()
	h, err := head.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	hidden := newGenerator(o.seed, 0, 1, nil).uniform(streamHidden, d, logitStd*math.Sqrt(3))
	return h, hidden, nil
}

// time fills the timing table: each operation's median over steps, at the
// active level and with the generic kernels, and the read bandwidth of the
// unembedding (a parallel lmhead.Sum over it with the same workers), also
// measured now, so that the percentages compare like with like.
func (r *report) time(h *head.Head, w []byte, hidden []float32, sc head.SamplerConfig, steps, workers int) error {
	// The read bandwidth streams the unembedding's bytes as float32s (the
	// last 0 to 3 bytes aside): Sum's speed depends on the bytes, not on
	// what they hold.
	emb := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(w))), len(w)/4)
	logits := make([]float32, h.Vocab())
	probs := make([]float32, h.Vocab())
	s, err := head.NewSampler(sc)
	if err != nil {
		return err
	}
	var sampleErr error
	ops := []struct {
		name string
		f    func()
	}{
		{"read W (Sum)", func() { parallelSum(emb, workers) }},
		{"Logits", func() { h.Logits(logits, hidden) }},
		{"Probs τ=1", func() { h.Probs(probs, hidden, 1) }},
		{"Greedy", func() { h.Greedy(hidden) }},
		{"Sample", func() {
			if _, err := h.Sample(hidden, s); err != nil {
				sampleErr = err
			}
		}},
	}
	active := lmhead.Active()
	defer func() { _ = lmhead.Use(active) }()
	levels := []lmhead.ISA{active}
	if active != lmhead.Generic {
		levels = append(levels, lmhead.Generic)
	}
	secs, err := interleaved(levels, ops, steps)
	if err != nil {
		return err
	}
	bytes := float64(r.WeightBytes)
	for i, op := range ops {
		row := timingRow{Op: op.name, MedianSeconds: median(secs[0][i])}
		row.GenericSecs = median(secs[len(levels)-1][i])
		row.Speedup = row.GenericSecs / row.MedianSeconds
		row.GBps = bytes / row.MedianSeconds / 1e9
		if op.name == "read W (Sum)" {
			// Sum streams the unembedding only, not the MoS matrices.
			row.GBps = float64(4*len(emb)) / row.MedianSeconds / 1e9
			r.ReadGBps = row.GBps
		}
		row.PctRead = 100 * row.GBps / r.ReadGBps
		r.Timing = append(r.Timing, row)
	}
	return sampleErr
}

// interleaved times every op at every level, steps times each after one
// warm-up round, and returns the durations in seconds as [level][op][step].
// The steps are interleaved (one round runs every op at every level) so
// that a machine whose speed drifts, a shared one, spreads the drift over
// every row alike, and the read bandwidth is measured alongside the ops
// rather than once before them.
func interleaved(levels []lmhead.ISA, ops []struct {
	name string
	f    func()
}, steps int) ([][][]float64, error) {
	secs := make([][][]float64, len(levels))
	for l := range secs {
		secs[l] = make([][]float64, len(ops))
	}
	for step := -1; step < steps; step++ {
		for l, isa := range levels {
			if err := lmhead.Use(isa); err != nil {
				return nil, err
			}
			for i, op := range ops {
				t := time.Now()
				op.f()
				if d := time.Since(t).Seconds(); step >= 0 {
					secs[l][i] = append(secs[l][i], d)
				}
			}
		}
	}
	return secs, nil
}

// median returns the median of d, which it sorts.
func median(d []float64) float64 {
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// sumSink keeps the compiler from discarding the bandwidth loop.
var sumSink atomic.Uint32

// parallelSum streams x once, split into one contiguous part per worker,
// the way the head splits its projection by rows.
func parallelSum(x []float32, workers int) {
	if workers <= 1 || len(x) < 1<<16 {
		sumSink.Store(math.Float32bits(lmhead.Sum(x)))
		return
	}
	var wg sync.WaitGroup
	part := (len(x) + workers - 1) / workers
	for lo := 0; lo < len(x); lo += part {
		wg.Add(1)
		go func(p []float32) {
			defer wg.Done()
			sumSink.Store(math.Float32bits(lmhead.Sum(p)))
		}(x[lo:min(lo+part, len(x))])
	}
	wg.Wait()
}

// generator produces the seeded weights: element i of stream s is a hash
// of (seed, s, i), so any part of a matrix can be generated by any
// goroutine and the result does not depend on the worker count.
type generator struct {
	seed     uint64
	workers  int
	total    uint64 // elements to generate, for the progress line
	done_    atomic.Uint64
	progress io.Writer
	stop     chan struct{}
	stopped  chan struct{}
}

// newGenerator starts the progress line (if progress is not nil) for total
// elements.
func newGenerator(seed, total uint64, workers int, progress io.Writer) *generator {
	g := &generator{seed: seed, workers: workers, total: total, progress: progress}
	if progress != nil && total > 0 {
		g.stop, g.stopped = make(chan struct{}), make(chan struct{})
		go g.report()
	}
	return g
}

// report redraws the progress line every tenth of a second.
func (g *generator) report() {
	defer close(g.stopped)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-tick.C:
			g.line()
		}
	}
}

func (g *generator) line() {
	n := g.done_.Load()
	fmt.Fprintf(g.progress, "\rgenerating %s of seeded weights: %3.0f%%", byteSize(4*g.total), 100*float64(n)/float64(g.total))
}

// done ends the progress line.
func (g *generator) done() {
	if g.stop == nil {
		return
	}
	close(g.stop)
	<-g.stopped
	g.line()
	fmt.Fprintln(g.progress)
}

// splitmix64 is the finalizer of SplitMix64 (Steele, Lea & Flood 2014): a
// bijection of 64-bit words whose outputs pass BigCrush for consecutive
// inputs.
func splitmix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// chunk is the number of elements a goroutine generates between progress
// updates: 4 MiB.
const chunk = 1 << 20

// uniform returns n values uniform in [-scale, scale) from stream s.
func (g *generator) uniform(s uint64, n int, scale float64) []float32 {
	x := make([]float32, n)
	base := splitmix64(g.seed ^ s<<56)
	// Two 24-bit fractions per hash; 2⁻²³·scale maps [0, 2²⁴) to
	// [0, 2·scale).
	f := float32(scale * 0x1p-23)
	off := float32(scale)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, g.workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				hi := min(lo+chunk, n)
				for i := lo; i < hi; i += 2 {
					h := splitmix64(base + uint64(i/2))
					x[i] = float32(h>>40)*f - off
					if i+1 < hi {
						x[i+1] = float32(h>>8&(1<<24-1))*f - off
					}
				}
				g.done_.Add(uint64(hi - lo))
			}
		}()
	}
	wg.Wait()
	return x
}

// quantize encodes the rows×cols float32 matrix w in format f, the rows
// split among workers goroutines.
func quantize(f lmhead.Format, w []float32, rows, cols, workers int) (lmhead.Matrix, error) {
	if f == lmhead.F32 {
		return lmhead.MatrixF32(w, rows, cols)
	}
	rb, err := f.RowBytes(cols)
	if err != nil {
		return lmhead.Matrix{}, err
	}
	out := make([]byte, rows*rb)
	part := (rows + workers - 1) / max(1, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for p, lo := 0, 0; lo < rows; p, lo = p+1, lo+part {
		hi := min(lo+part, rows)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := lmhead.Quantize(f, w[lo*cols:hi*cols], hi-lo, cols)
			if err != nil {
				errs[p] = err
				return
			}
			copy(out[lo*rb:hi*rb], m.Bytes())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return lmhead.Matrix{}, err
		}
	}
	return lmhead.NewMatrix(f, rows, cols, out)
}
