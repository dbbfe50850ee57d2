package head

import (
	"fmt"
	"math"

	"github.com/lmhead/lmhead"
)

// Config describes an output head. Its slices are used in place, never
// copied: the Head reads them on every call, so they must not change while
// the Head is in use (except deliberately, as with a tied embedding that is
// being trained).
type Config struct {
	// Vocab is V, the number of tokens (rows of Weight).
	Vocab int
	// Hidden is d, the length of the hidden state passed to every method.
	Hidden int
	// Weight is the V×e row-major float32 unembedding. e = len(Weight)/Vocab
	// must be Hidden for a plain head, Dense.Out with a Dense layer; with
	// MoS it is the latent width. It is used in place, never copied. Set
	// Weight or Matrix, not both.
	Weight []float32
	// Matrix is the unembedding in any weight format (F16, BF16, Q8_0,
	// Q4_0, Q4_K, Q6_K, or F32): Vocab rows of e columns, with e as for
	// Weight. Its bytes are used in place, so a tensor of a memory-mapped
	// checkpoint is never copied. The hidden state stays float32: the
	// weights are decoded in registers. Set Weight or Matrix, not both.
	Matrix lmhead.Matrix
	// Bias is optional; if set it has length Vocab and is added to every
	// logit (for MoS, to every component's logits).
	Bias []float32
	// Dense is an optional layer before the unembedding:
	// z = Act(W·h + b), mapping d to e. The classic "extra hidden layer" is
	// Act = ReLU.
	Dense *Dense
	// MoS makes the head a Mixture of Softmaxes. Dense and MoS together is
	// a configuration error.
	MoS *MoS
	// LogitScale multiplies every logit (Cohere's logit_scale). 0 means off
	// (a factor of 1). It must be finite and not negative.
	LogitScale float32
	// Softcap, if not 0, replaces every logit u by c·tanh(u/c) (Gemma 2's
	// final_logit_softcapping). It is applied after the bias and before
	// LogitScale. It must be finite and not negative.
	Softcap float32
	// Workers is the number of goroutines that share the projection. 0
	// means runtime.GOMAXPROCS(0) at the time of New. Heads too small to
	// gain from it stay on one goroutine whatever Workers says.
	Workers int
}

// Tied returns the Config of a head whose unembedding is the input
// embedding (weight tying: Press & Wolf 2017, Hugging Face's
// tie_word_embeddings). The embedding is vocab×hidden row-major and is
// shared, not copied: writing to it changes the head's logits.
func Tied(embedding []float32, vocab, hidden int) Config {
	return Config{Vocab: vocab, Hidden: hidden, Weight: embedding}
}

// TiedMatrix is [Tied] for an embedding in any weight format: a
// vocab×hidden matrix (its Rows and Cols), shared, not copied.
func TiedMatrix(embedding lmhead.Matrix) Config {
	return Config{Vocab: embedding.Rows(), Hidden: embedding.Cols(), Matrix: embedding}
}

// unembedding returns the unembedding as a Matrix of Vocab rows: Matrix if
// set, else Weight as F32 (whose length validate has checked).
func (c *Config) unembedding(e int) lmhead.Matrix {
	if c.Matrix.Rows() > 0 {
		return c.Matrix
	}
	m, err := lmhead.MatrixF32(c.Weight[:c.Vocab*e:c.Vocab*e], c.Vocab, e)
	if err != nil {
		panic(err) // validate checked the length
	}
	return m
}

// checkUnembedding checks that Weight or Matrix (exactly one) holds Vocab
// rows of e columns; e < 0 means any width (MoS), which it returns.
func (c *Config) checkUnembedding(e int, formula string) (int, error) {
	if c.Matrix.Rows() > 0 || c.Matrix.Cols() > 0 {
		if len(c.Weight) > 0 {
			return 0, errorf("Config.Matrix", "set together with Config.Weight; a head has one unembedding")
		}
		m := c.Matrix
		if m.Rows() != c.Vocab {
			return 0, errorf("Config.Matrix", "%d rows, want Vocab = %d", m.Rows(), c.Vocab)
		}
		if e < 0 {
			if m.Cols() == 0 {
				return 0, errorf("Config.Matrix", "0 columns, want a latent width e ≥ 1")
			}
			return m.Cols(), nil
		}
		if m.Cols() != e {
			return 0, errorf("Config.Matrix", "%d columns, want %s = %d", m.Cols(), formula, e)
		}
		return e, nil
	}
	if e < 0 {
		if len(c.Weight) == 0 || len(c.Weight)%c.Vocab != 0 {
			return 0, errorf("Config.Weight", "length %d, want Vocab×e = %d×e for a latent width e ≥ 1", len(c.Weight), c.Vocab)
		}
		return len(c.Weight) / c.Vocab, nil
	}
	return e, checkLen("Config.Weight", len(c.Weight), c.Vocab*e,
		fmt.Sprintf("Vocab×%s = %d×%d", formula, c.Vocab, e))
}

// Dense is a fully connected layer z = Act(W·h + b) in front of the
// unembedding, mapping the hidden state (length Config.Hidden) to Out
// values.
type Dense struct {
	// Out is the output width e; Config.Weight must then be Vocab×Out.
	Out int
	// Weight is Out×Hidden, row-major.
	Weight []float32
	// Bias is optional; if set it has length Out.
	Bias []float32
	// Act is the activation. The zero value is ReLU.
	Act Activation
}

// Activation selects the nonlinearity of a Dense layer.
type Activation uint8

// The activations of a Dense layer.
const (
	// ReLU is max(0, x), the classic choice and the zero value.
	ReLU Activation = iota
	// Tanh is the hyperbolic tangent.
	Tanh
	// GELU is the exact x·Φ(x) = x/2·(1 + erf(x/√2)) (PyTorch's
	// approximate="none", Hugging Face's "gelu").
	GELU
	// Identity leaves the values as they are: a purely linear layer.
	Identity
	// GELUTanh is the tanh approximation
	// x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Hugging Face's "gelu_new"
	// and "gelu_pytorch_tanh").
	GELUTanh
)

var actNames = [...]string{ReLU: "ReLU", Tanh: "Tanh", GELU: "GELU", Identity: "Identity", GELUTanh: "GELUTanh"}

// String returns the activation's name, as its constant spells it.
func (a Activation) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Activation(%d)", uint8(a))
}

// MoS is a Mixture of Softmaxes (Yang et al. 2018, "Breaking the Softmax
// Bottleneck"). With K components, hidden state h (length d) and latent
// width e = len(Config.Weight)/Config.Vocab:
//
//	π = softmax(Prior·h)                        (K mixture weights)
//	h_k = tanh(Latent_k·h + LatentBias_k)       (K latent states of length e)
//	u_k = Weight·h_k + Bias                     (then Softcap and LogitScale)
//	p(w) = Σ_k π_k · softmax(u_k/τ)_w
//
// The head computes log p(w) in log space,
// logsumexp_k(log π_k + log_softmax(u_k/τ)_w), so that tokens every
// component thinks unlikely keep a finite log-probability instead of the
// log(p + 1e-8) floor of the reference implementation.
type MoS struct {
	// K is the number of components, at least 1.
	K int
	// Prior is K×d, row-major, without bias: π = softmax(Prior·h).
	Prior []float32
	// Latent is (K·e)×d, row-major: rows k·e through k·e+e-1 are Latent_k.
	Latent []float32
	// LatentBias is optional; if set it has length K·e.
	LatentBias []float32
}

// ConfigError is the error New returns for an invalid Config. Field names
// the offending field as a Go selector (for example "Config.Dense.Weight").
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return "head: " + e.Field + ": " + e.Msg }

func errorf(field, format string, args ...any) error {
	return &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// checkLen reports a slice whose length is not want.
func checkLen(field string, got, want int, formula string) error {
	if got != want {
		return errorf(field, "length %d, want %s = %d", got, formula, want)
	}
	return nil
}

// checkOptLen reports an optional slice that is set but not of length want.
func checkOptLen(field string, got, want int, formula string) error {
	if got != 0 && got != want {
		return errorf(field, "length %d, want 0 (none) or %s = %d", got, formula, want)
	}
	return nil
}

// minSoftcap is the least Softcap whose 2/c is a finite float32:
// 2/MaxFloat32, rounded up.
var minSoftcap = math.Nextafter32(2/math.MaxFloat32, 1)

// checkFactor validates LogitScale and Softcap.
func checkFactor(field string, v float32) error {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return errorf(field, "%v, want a finite value ≥ 0 (0 means off)", v)
	}
	return nil
}

// validate checks every size of c and returns the unembedding width e.
func (c *Config) validate() (e int, err error) {
	if c.Vocab <= 0 {
		return 0, errorf("Config.Vocab", "%d, want ≥ 1", c.Vocab)
	}
	if c.Hidden <= 0 {
		return 0, errorf("Config.Hidden", "%d, want ≥ 1", c.Hidden)
	}
	if c.Workers < 0 {
		return 0, errorf("Config.Workers", "%d, want ≥ 0 (0 means GOMAXPROCS)", c.Workers)
	}
	if err := checkFactor("Config.LogitScale", c.LogitScale); err != nil {
		return 0, err
	}
	if err := checkFactor("Config.Softcap", c.Softcap); err != nil {
		return 0, err
	}
	if c.Softcap > 0 && math.IsInf(float64(2/c.Softcap), 1) {
		// The softcap multiplies by 2/c, which must be a float32.
		return 0, errorf("Config.Softcap", "%v, want 0 or ≥ %v (2/Softcap overflows float32)", c.Softcap, minSoftcap)
	}
	if c.Dense != nil && c.MoS != nil {
		return 0, errorf("Config.MoS", "set together with Config.Dense; a head has at most one of them")
	}
	if err := checkOptLen("Config.Bias", len(c.Bias), c.Vocab, "Vocab"); err != nil {
		return 0, err
	}
	switch {
	case c.Dense != nil:
		d := c.Dense
		if d.Out <= 0 {
			return 0, errorf("Config.Dense.Out", "%d, want ≥ 1", d.Out)
		}
		if d.Act > GELUTanh {
			return 0, errorf("Config.Dense.Act", "%v, want one of ReLU, Tanh, GELU, Identity, GELUTanh", d.Act)
		}
		if err := checkLen("Config.Dense.Weight", len(d.Weight), d.Out*c.Hidden,
			fmt.Sprintf("Out×Hidden = %d×%d", d.Out, c.Hidden)); err != nil {
			return 0, err
		}
		if err := checkOptLen("Config.Dense.Bias", len(d.Bias), d.Out, "Dense.Out"); err != nil {
			return 0, err
		}
		if e, err = c.checkUnembedding(d.Out, "Dense.Out"); err != nil {
			return 0, err
		}
	case c.MoS != nil:
		m := c.MoS
		if m.K <= 0 {
			return 0, errorf("Config.MoS.K", "%d, want ≥ 1", m.K)
		}
		if e, err = c.checkUnembedding(-1, ""); err != nil {
			return 0, err
		}
		if err := checkLen("Config.MoS.Prior", len(m.Prior), m.K*c.Hidden,
			fmt.Sprintf("K×Hidden = %d×%d", m.K, c.Hidden)); err != nil {
			return 0, err
		}
		if want := m.K * e * c.Hidden; len(m.Latent) != want {
			return 0, errorf("Config.MoS.Latent", "length %d, want (K·e)×Hidden = (%d·%d)×%d = %d, with e = len(Weight)/Vocab",
				len(m.Latent), m.K, e, c.Hidden, want)
		}
		if err := checkOptLen("Config.MoS.LatentBias", len(m.LatentBias), m.K*e,
			fmt.Sprintf("K·e = %d·%d", m.K, e)); err != nil {
			return 0, err
		}
	default:
		if e, err = c.checkUnembedding(c.Hidden, "Hidden"); err != nil {
			return 0, err
		}
	}
	return e, nil
}
