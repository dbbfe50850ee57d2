package head

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/softmax"
)

// Head is an output head built by New. It is immutable and safe for
// concurrent use by any number of goroutines; per-call scratch comes from a
// sync.Pool, so the methods that take a dst allocate nothing once warm.
type Head struct {
	vocab, hidden, embed int
	weight               lmhead.Matrix // the unembedding, Vocab×embed
	bias                 []float32
	dense                *Dense // a copy of Config.Dense (the slices are shared)
	mos                  *MoS   // a copy of Config.MoS (the slices are shared)
	scale, softcap       float32
	workers              int
	pool                 *workerPool
	scratch              sync.Pool // of *scratch

	// Set by Open: what the checkpoint held, its token strings, and the
	// mapping that Close releases.
	source *Source
	tokens []string
	closer io.Closer
}

// blockRows is the number of logits a fused pass (Greedy, LogProb, the
// softcap) computes at a time: 1 KiB of output that stays in L1 while it
// is reduced, and per Gemv call enough rows that the call overhead is
// nothing against streaming them.
const blockRows = 256

// New validates cfg and returns its Head. Every shape mistake is an error
// (a *ConfigError) naming the field and giving the expected and actual
// sizes; so are a NaN, infinite or negative Softcap or LogitScale, a
// negative Workers and an unknown Dense.Act.
func New(cfg Config) (*Head, error) {
	e, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	h := &Head{
		vocab:   cfg.Vocab,
		hidden:  cfg.Hidden,
		embed:   e,
		weight:  cfg.unembedding(e),
		scale:   cfg.LogitScale,
		softcap: cfg.Softcap,
		workers: cfg.Workers,
	}
	if h.scale == 1 {
		h.scale = 0
	}
	if len(cfg.Bias) > 0 {
		h.bias = cfg.Bias
	}
	if cfg.Dense != nil {
		d := *cfg.Dense
		if len(d.Bias) == 0 {
			d.Bias = nil
		}
		h.dense = &d
	}
	if cfg.MoS != nil {
		m := *cfg.MoS
		if len(m.LatentBias) == 0 {
			m.LatentBias = nil
		}
		h.mos = &m
	}
	if h.workers == 0 {
		h.workers = defaultWorkers()
	}
	if h.workers > 1 {
		h.pool = newWorkerPool(h.workers - 1)
		runtime.AddCleanup(h, stopPool, h.pool)
	}
	return h, nil
}

// Vocab returns V, the number of logits.
func (h *Head) Vocab() int { return h.vocab }

// Hidden returns d, the length of the hidden state the methods take.
func (h *Head) Hidden() int { return h.hidden }

// Unembedding returns the head's unembedding matrix (Vocab rows), in
// place: for a tied head it is the input embedding, whose row t
// (Dequantize(dst, t, t+1)) is token t's embedding.
func (h *Head) Unembedding() lmhead.Matrix { return h.weight }

// scratch is the per-call working memory of one Head call.
type scratch struct {
	z    []float32 // Dense output, e
	blk  []float32 // one block of blockRows logits per part
	tmp  []float32 // one block per part for the softcap
	res  []partRes // one per part
	vbuf []float32 // V, for the few paths that need all logits
	sel  *selector
	mos  *mosScratch
	proj projTask
	wg   sync.WaitGroup
}

func (h *Head) get() *scratch {
	if sc, ok := h.scratch.Get().(*scratch); ok {
		return sc
	}
	parts := h.workers
	sc := &scratch{
		blk: make([]float32, parts*blockRows),
		tmp: make([]float32, parts*blockRows),
		res: make([]partRes, parts),
	}
	if h.dense != nil {
		sc.z = make([]float32, h.embed)
	}
	return sc
}

func (h *Head) put(sc *scratch) { h.scratch.Put(sc) }

// vocabBuf returns the scratch's V-sized buffer.
func (sc *scratch) vocabBuf(v int) []float32 {
	if cap(sc.vbuf) < v {
		sc.vbuf = make([]float32, v)
	}
	return sc.vbuf[:v]
}

func (sc *scratch) selector() *selector {
	if sc.sel == nil {
		sc.sel = new(selector)
	}
	return sc.sel
}

// partRes is one part's result of a fused pass, padded to a cache line so
// that parts running on different cores do not share one.
type partRes struct {
	idx int           // argmax: index of the best logit, -1 if none
	val float32       // argmax: its value
	tok float32       // logsumexp: the token's logit, if in this part
	st  softmax.Stats // logsumexp: the part's normalizer
	_   [64 - 32]byte
}

type projMode uint8

const (
	modeGemv   projMode = iota // dst = W·x (then bias, softcap, scale if post)
	modeArgmax                 // running argmax of the logits
	modeLSE                    // running softmax.Stats of the logits at tau, and one token's logit
)

// projTask is one projection split across parts by rows of W.
type projTask struct {
	h      *Head
	mode   projMode
	post   bool // the rows are the unembedding: add bias, softcap, scale
	w      lmhead.Matrix
	x, dst []float32
	rows   int
	parts  int
	tau    float32
	token  int
	blk    []float32
	tmp    []float32
	res    []partRes
}

func (t *projTask) run(p int) {
	lo, hi := span(p, t.parts, t.rows)
	h := t.h
	tmp := t.tmp[p*blockRows : (p+1)*blockRows]
	switch t.mode {
	case modeGemv:
		if lo < hi {
			t.w.SliceRows(lo, hi).Gemv(t.dst[lo:hi], t.x)
			if t.post {
				h.finish(t.dst[lo:hi], lo, tmp)
			}
		}
	case modeArgmax:
		blk := t.blk[p*blockRows : (p+1)*blockRows]
		best, bestV := -1, float32(0)
		for r := lo; r < hi; r += blockRows {
			b := blk[:min(blockRows, hi-r)]
			t.w.SliceRows(r, r+len(b)).Gemv(b, t.x)
			h.finish(b, r, tmp)
			j := lmhead.Argmax(b)
			if v := b[j]; best < 0 || better(v, bestV) {
				best, bestV = r+j, v
				if v != v {
					break // the first NaN wins, as in lmhead.Argmax
				}
			}
		}
		t.res[p] = partRes{idx: best, val: bestV}
	case modeLSE:
		blk := t.blk[p*blockRows : (p+1)*blockRows]
		var st softmax.Stats
		tok := float32(0)
		for r := lo; r < hi; r += blockRows {
			b := blk[:min(blockRows, hi-r)]
			t.w.SliceRows(r, r+len(b)).Gemv(b, t.x)
			h.finish(b, r, tmp)
			st = softmax.Merge(st, softmax.Partial(b, t.tau))
			if t.token >= r && t.token < r+len(b) {
				tok = b[t.token-r]
			}
		}
		t.res[p] = partRes{st: st, tok: tok}
	}
}

// better reports whether v beats best in an argmax that takes the first
// of equal values and, like lmhead.Argmax, lets the first NaN win.
func better(v, best float32) bool {
	return v > best || (v != v && best == best)
}

// lse64 returns the log-sum-exp that st describes, in float64 (Stats'
// own LogSumExp rounds to float32, an error of half an ulp of the
// maximum that a difference of log-probabilities would keep).
func lse64(st softmax.Stats) float64 {
	l := st.LogSumExp()
	if l != l || math.IsInf(float64(l), 0) {
		return float64(l)
	}
	return float64(st.Max) + math.Log(st.Sum)
}

// runProj runs t over the rows of t.w, splitting them among workers when
// the matrix is big enough.
func (h *Head) runProj(sc *scratch, t *projTask) {
	t.h = h
	t.parts = partsFor(h.workers, t.rows, len(t.x))
	t.blk, t.tmp, t.res = sc.blk, sc.tmp, sc.res
	h.pool.runParts(t, t.parts, &sc.wg)
}

// gemv computes dst = W·x for any float32 W of the head (Dense, Latent),
// in parallel when it is big.
func (h *Head) gemv(sc *scratch, dst, w, x []float32) {
	m, err := lmhead.MatrixF32(w, len(dst), len(x))
	if err != nil {
		panic(err) // New checked every size
	}
	t := &sc.proj
	*t = projTask{mode: modeGemv, w: m, x: x, dst: dst, rows: len(dst)}
	h.runProj(sc, t)
}

// project computes the logits dst = post(Weight·z): bias, softcap, scale.
func (h *Head) project(sc *scratch, dst, z []float32) {
	t := &sc.proj
	*t = projTask{mode: modeGemv, post: true, w: h.weight, x: z, dst: dst, rows: h.vocab}
	h.runProj(sc, t)
}

// argmaxProj returns the argmax of post(Weight·z), and its logit, without
// storing the logits: every part keeps a running argmax over blocks of
// blockRows.
func (h *Head) argmaxProj(sc *scratch, z []float32) (int, float32) {
	t := &sc.proj
	*t = projTask{mode: modeArgmax, post: true, w: h.weight, x: z, rows: h.vocab}
	h.runProj(sc, t)
	best, bestV := -1, float32(0)
	for _, r := range t.res[:t.parts] {
		if r.idx >= 0 && (best < 0 || better(r.val, bestV)) {
			best, bestV = r.idx, r.val
			if r.val != r.val {
				break
			}
		}
	}
	return best, bestV
}

// lseProj returns logsumexp(u/τ) of the logits u = post(Weight·z) and
// u[token], without storing u: every part merges the softmax.Stats of its
// blocks (the online normalizer of Milakov & Gimelshein 2018), and the
// parts' Stats are merged in turn.
func (h *Head) lseProj(sc *scratch, z []float32, tau float32, token int) (lse float64, tok float32) {
	t := &sc.proj
	*t = projTask{mode: modeLSE, post: true, w: h.weight, x: z, rows: h.vocab, tau: tau, token: token}
	h.runProj(sc, t)
	var st softmax.Stats
	for p, r := range t.res[:t.parts] {
		st = softmax.Merge(st, r.st)
		if lo, hi := span(p, t.parts, t.rows); token >= lo && token < hi {
			tok = r.tok
		}
	}
	return lse64(st), tok
}

// finish applies the bias, the softcap and the logit scale to the logits
// u = Weight[lo:lo+len(u)]·z. tmp is scratch of blockRows values.
func (h *Head) finish(u []float32, lo int, tmp []float32) {
	if h.bias != nil {
		b := h.bias[lo : lo+len(u)]
		for i := range u {
			u[i] += b[i]
		}
	}
	if h.softcap != 0 {
		for off := 0; off < len(u); off += len(tmp) {
			softcap(u[off:min(off+len(tmp), len(u))], h.softcap, tmp)
		}
	}
	if h.scale != 0 {
		lmhead.ScaleShift(u, u, h.scale, 0)
	}
}

// softcap replaces every u by c·tanh(u/c). Where |u/c| ≥ 0.625, tanh(y) =
// 1 - 2/(e^(2y)+1) with a vector exp (2 ulp), whose error relative to the
// result stays below a few ulp because |tanh| ≥ 0.55 there. Below, where
// that form would cancel, Cephes' tanhf polynomial y + y³·P(y²) (relative
// error about 2⁻²³ on [-0.625, 0.625]) is used. len(tmp) ≥ len(u).
func softcap(u []float32, c float32, tmp []float32) {
	tmp = tmp[:len(u)]
	inv := 1 / c
	lmhead.ScaleShift(tmp, u, 2*inv, 0)
	lmhead.Exp(tmp, tmp)
	for i, v := range u {
		y := v * inv
		var t float32
		if y > -0.625 && y < 0.625 {
			z := y * y
			t = ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)*z*y + y
		} else {
			t = 1 - 2/(tmp[i]+1)
		}
		u[i] = c * t
	}
}

// input returns the vector the unembedding multiplies: the hidden state
// itself, or the Dense layer's output in sc.z.
func (h *Head) input(sc *scratch, hidden []float32) []float32 {
	if h.dense == nil {
		return hidden
	}
	d := h.dense
	z := sc.z
	h.gemv(sc, z, d.Weight, hidden)
	if d.Bias != nil {
		for i := range z {
			z[i] += d.Bias[i]
		}
	}
	activate(z, d.Act)
	return z
}

// activate applies a in place. The transcendental ones run in float64:
// there are only e of them per token.
func activate(z []float32, a Activation) {
	switch a {
	case ReLU:
		for i, v := range z {
			if v < 0 {
				z[i] = 0
			}
		}
	case Tanh:
		for i, v := range z {
			z[i] = float32(math.Tanh(float64(v)))
		}
	case GELU:
		for i, v := range z {
			x := float64(v)
			z[i] = float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
		}
	case GELUTanh:
		const k = 0.7978845608028654 // √(2/π)
		for i, v := range z {
			x := float64(v)
			z[i] = float32(0.5 * x * (1 + math.Tanh(k*(x+0.044715*x*x*x))))
		}
	case Identity:
	}
}

func (h *Head) checkHidden(method string, hidden []float32) {
	if len(hidden) != h.hidden {
		panic(fmt.Sprintf("head.%s: len(hidden)=%d, want Hidden=%d", method, len(hidden), h.hidden))
	}
}

// invTemp returns 1/τ, or 0 for greedy (τ = 0, or τ so small that 1/τ
// overflows float32). It panics on a negative, NaN or infinite τ.
func invTemp(method string, t float32) float32 {
	// −0 passes t >= 0 but 1/−0 is −Inf: it counts as negative.
	if !(t >= 0) || math.Signbit(float64(t)) || math.IsInf(float64(t), 1) {
		panic(fmt.Sprintf("head.%s: temperature %v, want finite and ≥ 0", method, t))
	}
	s := 1 / t // as package softmax computes it
	if math.IsInf(float64(s), 1) {
		return 0
	}
	return s
}

// grow returns dst[:n], or a new slice if dst is too short.
func grow(dst []float32, n int) []float32 {
	if cap(dst) < n {
		return make([]float32, n)
	}
	return dst[:n]
}

// Logits writes the V logits for hidden into dst and returns it (a new
// slice if cap(dst) < V): Weight·z + Bias, then Softcap, then LogitScale,
// with z = hidden or the Dense layer's output. For a Mixture of Softmaxes
// the result is the mixture's log-probabilities at temperature 1, which is
// what sampling and losses need from it.
//
// Logits panics if len(hidden) != Hidden.
func (h *Head) Logits(dst, hidden []float32) []float32 {
	h.checkHidden("Logits", hidden)
	dst = grow(dst, h.vocab)
	sc := h.get()
	if h.mos != nil {
		h.mosLogProbs(sc, dst, hidden, 1)
	} else {
		h.project(sc, dst, h.input(sc, hidden))
	}
	h.put(sc)
	return dst
}

// Probs writes softmax(logits/τ) into dst and returns it (a new slice if
// cap(dst) < V). For a Mixture of Softmaxes it is Σ_k π_k·softmax(u_k/τ).
// τ = 0 is greedy decoding: a one-hot vector at Greedy(hidden). A τ so
// small that 1/τ overflows float32 counts as 0.
//
// Probs panics if len(hidden) != Hidden or τ is negative, NaN or infinite.
func (h *Head) Probs(dst, hidden []float32, temperature float32) []float32 {
	s := invTemp("Probs", temperature)
	h.checkHidden("Probs", hidden)
	dst = grow(dst, h.vocab)
	if s == 0 {
		clear(dst)
		dst[h.Greedy(hidden)] = 1
		return dst
	}
	sc := h.get()
	if h.mos != nil {
		h.mosLogProbs(sc, dst, hidden, temperature)
		lmhead.Exp(dst, dst)
	} else {
		h.project(sc, dst, h.input(sc, hidden))
		softmax.Softmax(dst, dst, temperature)
	}
	h.put(sc)
	return dst
}

// LogProbs writes log_softmax(logits/τ) into dst and returns it (a new
// slice if cap(dst) < V). For a Mixture of Softmaxes it is the log of the
// mixture, computed in log space. τ = 0 gives 0 at Greedy(hidden) and -Inf
// elsewhere.
//
// LogProbs panics if len(hidden) != Hidden or τ is negative, NaN or
// infinite.
func (h *Head) LogProbs(dst, hidden []float32, temperature float32) []float32 {
	s := invTemp("LogProbs", temperature)
	h.checkHidden("LogProbs", hidden)
	dst = grow(dst, h.vocab)
	if s == 0 {
		g := h.Greedy(hidden)
		for i := range dst {
			dst[i] = float32(math.Inf(-1))
		}
		dst[g] = 0
		return dst
	}
	sc := h.get()
	if h.mos != nil {
		h.mosLogProbs(sc, dst, hidden, temperature)
	} else {
		h.project(sc, dst, h.input(sc, hidden))
		softmax.LogSoftmax(dst, dst, temperature)
	}
	h.put(sc)
	return dst
}

// Greedy returns the token with the highest logit, the lowest index among
// equal ones (for a Mixture of Softmaxes, the highest mixture probability).
// For a plain or Dense head the argmax is fused into the projection: the
// logits are computed a block of rows at a time into a small buffer and
// never stored or normalized. A NaN logit wins, as in lmhead.Argmax, so
// that a broken model shows.
//
// Greedy panics if len(hidden) != Hidden.
func (h *Head) Greedy(hidden []float32) int {
	h.checkHidden("Greedy", hidden)
	sc := h.get()
	var g int
	if h.mos != nil {
		lp := sc.vocabBuf(h.vocab)
		h.mosLogProbs(sc, lp, hidden, 1)
		g = lmhead.Argmax(lp)
	} else {
		g, _ = h.argmaxProj(sc, h.input(sc, hidden))
	}
	h.put(sc)
	return g
}

// LogProb returns log p(token | hidden) at temperature 1. It computes the
// log-normalizer with an online logsumexp over blocks of logits, so it
// needs no V-sized buffer; for a Mixture of Softmaxes it runs one such pass
// per component.
//
// LogProb panics if len(hidden) != Hidden or token is not in [0, V).
func (h *Head) LogProb(hidden []float32, token int) float32 {
	h.checkHidden("LogProb", hidden)
	if token < 0 || token >= h.vocab {
		panic(fmt.Sprintf("head.LogProb: token %d, want in [0, %d)", token, h.vocab))
	}
	sc := h.get()
	var lp float64
	if h.mos != nil {
		lp = h.mosLogProb(sc, hidden, token)
	} else {
		lse, u := h.lseProj(sc, h.input(sc, hidden), 1, token)
		lp = float64(u) - lse
	}
	h.put(sc)
	return float32(lp)
}

// Token is a token id with its log-probability.
type Token struct {
	ID      int
	LogProb float32
}

// TopK returns the k most likely tokens at temperature τ, best first,
// equal scores by lower ID, with their log-probabilities (k is capped at
// V; k ≤ 0 returns nil). τ = 0 ranks as τ = 1 and gives log-probability 0
// to the first token and -Inf to the others, as LogProbs does. The tokens
// are found by partial selection, not by sorting the vocabulary.
//
// TopK panics if len(hidden) != Hidden or τ is negative, NaN or infinite.
func (h *Head) TopK(hidden []float32, k int, temperature float32) []Token {
	return h.AppendTopK(nil, hidden, k, temperature)
}

// AppendTopK is TopK appending to dst, for callers that reuse the slice.
func (h *Head) AppendTopK(dst []Token, hidden []float32, k int, temperature float32) []Token {
	s := invTemp("TopK", temperature)
	h.checkHidden("TopK", hidden)
	if k <= 0 {
		return dst
	}
	k = min(k, h.vocab)
	sc := h.get()
	x := sc.vocabBuf(h.vocab)
	var lse float64
	scoreScale := s
	if h.mos != nil {
		// The mixture's ranking depends on τ: rank its log-probabilities
		// at τ, which are already normalized.
		if s == 0 {
			h.mosLogProbs(sc, x, hidden, 1)
		} else {
			h.mosLogProbs(sc, x, hidden, temperature)
		}
		scoreScale = 1
	} else {
		h.project(sc, x, h.input(sc, hidden))
		if s != 0 {
			lse = lse64(softmax.Partial(x, temperature))
		}
	}
	dst = topKTokens(sc.selector(), dst, x, k, s, scoreScale, lse)
	h.put(sc)
	return dst
}

// cleanNaN copies x to dst with every NaN replaced by -Inf, and reports
// whether there was one.
func cleanNaN(dst, x []float32) bool {
	found := false
	for i, v := range x {
		if v != v {
			v = float32(math.Inf(-1))
			found = true
		}
		dst[i] = v
	}
	return found
}

// topKTokens appends the k best of the scores x (overwritten: NaN becomes
// -Inf) to dst in canonical order, with log-probability scale·x − lse; at
// s = 0 (greedy) the first gets 0 and the others −Inf.
func topKTokens(sel *selector, dst []Token, x []float32, k int, s, scale float32, lse float64) []Token {
	cleanNaN(x, x)
	kept, _, _ := sel.prefix(x, nil, sel.topKCandidates(x, k), goal{byCount: true, want: float64(k)})
	sortCanonical(x, kept)
	for n, i := range kept {
		var lp float32
		switch {
		case s == 0 && n == 0:
			lp = 0
		case s == 0:
			lp = float32(math.Inf(-1))
		default:
			lp = float32(float64(scale)*float64(x[i]) - lse)
		}
		dst = append(dst, Token{ID: int(i), LogProb: lp})
	}
	return dst
}
