package head

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/gguf"
	"github.com/lmhead/lmhead/safetensors"
)

// Option configures Open.
type Option func(*openOptions)

type openOptions struct {
	workers int
}

// WithWorkers sets Config.Workers of the opened head: the goroutines that
// share the projection (0, the default, means GOMAXPROCS).
func WithWorkers(n int) Option { return func(o *openOptions) { o.workers = n } }

// Source describes the checkpoint a Head was opened from.
type Source struct {
	// Path is the file or folder given to Open.
	Path string
	// Kind is "gguf", "safetensors" or "safetensors folder".
	Kind string
	// Architecture is GGUF's general.architecture or config.json's
	// model_type (empty if the file does not say).
	Architecture string
	// Tensor is the name of the tensor used as the unembedding.
	Tensor string
	// Tied reports whether that tensor is the input embedding (no
	// separate output matrix in the file).
	Tied bool
	// Format is the unembedding's weight format.
	Format lmhead.Format
	// Vocab and Hidden are V and d.
	Vocab, Hidden int
	// Softcap and LogitScale are the values applied, 0 for none.
	Softcap, LogitScale float32
	// FileBytes is the size on disk of the file or files opened.
	FileBytes int64
	// WeightBytes is the size of the unembedding.
	WeightBytes int64
}

// Open opens a checkpoint and returns the Head of its output layer, with
// the weights used in place in a read-only memory mapping: nothing is
// copied or expanded to float32. path is a .gguf file, a .safetensors file,
// or a Hugging Face model folder (model.safetensors, or shards listed in
// model.safetensors.index.json, with config.json).
//
// The head is found as llama.cpp and transformers find it:
//
//   - GGUF: output.weight, else the tied token_embd.weight (llama.cpp's
//     llama-model.cpp falls back to the token embedding when the output
//     tensor is absent); the softcap is {arch}.final_logit_softcapping and
//     the scale {arch}.logit_scale; the tokens are tokenizer.ggml.tokens.
//   - safetensors: lm_head.weight, else the tied model.embed_tokens.weight
//     or GPT-2's wte.weight, each with or without a "transformer." prefix,
//     or inside a multimodal checkpoint's language model;
//     the softcap and scale are config.json's final_logit_softcapping and
//     logit_scale (transformers' Gemma2ForCausalLM and CohereForCausalLM);
//     the tokens come from tokenizer.json's vocabulary beside the weights,
//     if there is one.
//
// The returned Head must be closed with Close, which releases the mapping;
// a Head (or a Matrix taken from it) used after Close is the caller's bug
// and may crash.
func Open(path string, opts ...Option) (*Head, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("head.Open: %w", err)
	}
	var (
		src    Source
		m      lmhead.Matrix
		tokens []string
		closer io.Closer
	)
	switch {
	case fi.IsDir():
		src, m, tokens, closer, err = openFolder(path)
	case strings.HasSuffix(strings.ToLower(path), ".safetensors"):
		src, m, tokens, closer, err = openSafetensors(path)
	default:
		src, m, tokens, closer, err = openGGUF(path)
	}
	if err != nil {
		return nil, fmt.Errorf("head.Open %s: %w", path, err)
	}
	src.Path = path
	src.Format, src.Vocab, src.Hidden = m.Format(), m.Rows(), m.Cols()
	src.WeightBytes = int64(len(m.Bytes()))
	cfg := TiedMatrix(m)
	cfg.Softcap, cfg.LogitScale, cfg.Workers = src.Softcap, src.LogitScale, o.workers
	h, err := New(cfg)
	if err != nil {
		closer.Close()
		return nil, fmt.Errorf("head.Open %s: %w", path, err)
	}
	h.source, h.tokens, h.closer = &src, tokens, closer
	return h, nil
}

// Close releases the memory mapping of a Head made by Open; for a Head
// made by New it does nothing. The Head must not be used afterwards.
func (h *Head) Close() error {
	if h.closer == nil {
		return nil
	}
	c := h.closer
	h.closer = nil
	return c.Close()
}

// Source returns what Open found in the checkpoint, and false for a Head
// made by New.
func (h *Head) Source() (Source, bool) {
	if h.source == nil {
		return Source{}, false
	}
	return *h.source, true
}

// Tokens returns the vocabulary's token strings, indexed by token id, when
// the checkpoint has them (GGUF's tokenizer.ggml.tokens, or the vocabulary
// of a tokenizer.json beside the safetensors), else nil. The slice is
// shared: do not modify it.
func (h *Head) Tokens() []string { return h.tokens }

// factor converts a softcap or scale from the file into a Config value;
// absent and null values are 0 (off).
func factor(v *float64) float32 {
	if v == nil {
		return 0
	}
	return float32(*v)
}

// openGGUF opens a GGUF file and finds its head.
func openGGUF(path string) (src Source, m lmhead.Matrix, tokens []string, closer io.Closer, err error) {
	f, err := gguf.Open(path)
	if err != nil {
		return src, m, nil, nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	src.Kind = "gguf"
	if fi, err := os.Stat(path); err == nil {
		src.FileBytes = fi.Size()
	}
	arch, _ := f.Architecture()
	src.Architecture = arch
	src.Tensor = "output.weight"
	if _, ok := f.Tensor(src.Tensor); !ok {
		src.Tensor, src.Tied = "token_embd.weight", true
	}
	if _, ok := f.Tensor(src.Tensor); !ok {
		return src, m, nil, nil, errors.New("no output.weight and no token_embd.weight: not a language model's GGUF")
	}
	if m, err = f.Matrix(src.Tensor); err != nil {
		return src, m, nil, nil, err
	}
	for _, k := range []struct {
		key string
		dst *float32
	}{{arch + ".final_logit_softcapping", &src.Softcap}, {arch + ".logit_scale", &src.LogitScale}} {
		v, err := f.Float(k.key)
		switch {
		case err == nil:
			*k.dst = float32(v)
		case !errors.Is(err, gguf.ErrNotFound):
			return src, m, nil, nil, err
		}
	}
	if toks, err := f.Strings("tokenizer.ggml.tokens"); err == nil && len(toks) == m.Rows() {
		tokens = toks
	}
	return src, m, tokens, f, nil
}

// headNames are the tensor names of a safetensors head, untied first:
// transformers' names with and without the "transformer." prefix (GPT-2),
// and those of the language model inside a multimodal checkpoint (Gemma 3,
// LLaVA: "language_model." before transformers 4.52,
// "model.language_model." after).
var headNames = []struct {
	name string
	tied bool
}{
	{"lm_head.weight", false},
	{"transformer.lm_head.weight", false},
	{"language_model.lm_head.weight", false},
	{"model.embed_tokens.weight", true},
	{"transformer.model.embed_tokens.weight", true},
	{"language_model.model.embed_tokens.weight", true},
	{"model.language_model.embed_tokens.weight", true},
	{"wte.weight", true},
	{"transformer.wte.weight", true},
}

// tensorSet is what openFolder and openSafetensors look tensors up in.
type tensorSet interface {
	Tensor(name string) (*safetensors.Tensor, bool)
	Matrix(name string) (lmhead.Matrix, error)
}

// findHead picks the head tensor of a safetensors file or folder.
func findHead(ts tensorSet, src *Source) (lmhead.Matrix, error) {
	for _, c := range headNames {
		if _, ok := ts.Tensor(c.name); ok {
			src.Tensor, src.Tied = c.name, c.tied
			return ts.Matrix(c.name)
		}
	}
	names := make([]string, len(headNames))
	for i, c := range headNames {
		names[i] = c.name
	}
	return lmhead.Matrix{}, fmt.Errorf("no head tensor: none of %s", strings.Join(names, ", "))
}

// applyConfig takes the softcap, the scale and the architecture from
// config.json, and checks its sizes against the head tensor.
func applyConfig(c safetensors.Config, m lmhead.Matrix, src *Source) error {
	src.Architecture = c.ModelType
	src.Softcap, src.LogitScale = factor(c.FinalLogitSoftcapping), factor(c.LogitScale)
	if c.VocabSize != 0 && c.VocabSize != m.Rows() {
		return fmt.Errorf("config.json vocab_size %d, but %s has %d rows", c.VocabSize, src.Tensor, m.Rows())
	}
	if c.HiddenSize != 0 && c.HiddenSize != m.Cols() {
		return fmt.Errorf("config.json hidden_size %d, but %s has %d columns", c.HiddenSize, src.Tensor, m.Cols())
	}
	return nil
}

// openFolder opens a Hugging Face model folder.
func openFolder(dir string) (src Source, m lmhead.Matrix, tokens []string, closer io.Closer, err error) {
	md, err := safetensors.OpenModel(dir)
	if err != nil {
		return src, m, nil, nil, err
	}
	defer func() {
		if err != nil {
			md.Close()
		}
	}()
	src.Kind = "safetensors folder"
	src.FileBytes = filesSize(dir, ".safetensors")
	if m, err = findHead(md, &src); err != nil {
		return src, m, nil, nil, err
	}
	if err = applyConfig(md.Config, m, &src); err != nil {
		return src, m, nil, nil, err
	}
	tokens, err = readVocab(filepath.Join(dir, "tokenizer.json"), m.Rows())
	return src, m, tokens, md, err
}

// openSafetensors opens one .safetensors file, with the config.json and
// tokenizer.json beside it if there are.
func openSafetensors(path string) (src Source, m lmhead.Matrix, tokens []string, closer io.Closer, err error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return src, m, nil, nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	src.Kind = "safetensors"
	if fi, err := os.Stat(path); err == nil {
		src.FileBytes = fi.Size()
	}
	if m, err = findHead(f, &src); err != nil {
		return src, m, nil, nil, err
	}
	dir := filepath.Dir(path)
	if c, cerr := safetensors.ReadConfig(filepath.Join(dir, "config.json")); cerr == nil {
		if err = applyConfig(c, m, &src); err != nil {
			return src, m, nil, nil, err
		}
	} else if !errors.Is(cerr, os.ErrNotExist) {
		return src, m, nil, nil, cerr
	}
	tokens, err = readVocab(filepath.Join(dir, "tokenizer.json"), m.Rows())
	return src, m, tokens, f, err
}

// filesSize returns the total size of the files in dir with the suffix.
func filesSize(dir, suffix string) int64 {
	var n int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), suffix) {
			n += fi.Size()
		}
	}
	return n
}

// maxTokenizerBytes bounds the tokenizer.json that readVocab reads: real
// ones are a few MB (Gemma 3's, with 262k tokens, is 33 MB).
const maxTokenizerBytes = 256 << 20

// readVocab reads the vocabulary of a Hugging Face tokenizer.json: the
// token string of every id, from model.vocab (an object of token → id, as
// BPE and WordPiece models store it, or Unigram's array of [token, score])
// and added_tokens. It returns nil, nil if there is no such file, and nil
// if the ids do not cover 0..vocab-1 exactly once (a vocabulary that does
// not match the head is not shown). No tokenizer is implemented: only
// the strings are read.
func readVocab(path string, vocab int) ([]string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxTokenizerBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d read for a vocabulary", path, fi.Size(), maxTokenizerBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t struct {
		Model struct {
			Vocab json.RawMessage `json:"vocab"`
		} `json:"model"`
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tokens := make([]string, vocab)
	seen := make([]bool, vocab)
	set := func(id int, s string) bool {
		if id < 0 || id >= vocab || seen[id] {
			return false
		}
		tokens[id], seen[id] = s, true
		return true
	}
	var byToken map[string]int
	var unigram [][2]json.RawMessage
	switch {
	case json.Unmarshal(t.Model.Vocab, &byToken) == nil:
		for s, id := range byToken {
			if !set(id, s) {
				return nil, nil
			}
		}
	case json.Unmarshal(t.Model.Vocab, &unigram) == nil:
		for id, e := range unigram {
			var s string
			if json.Unmarshal(e[0], &s) != nil || !set(id, s) {
				return nil, nil
			}
		}
	default:
		return nil, nil
	}
	for _, a := range t.Added {
		if a.ID >= 0 && a.ID < vocab && !seen[a.ID] {
			set(a.ID, a.Content)
		}
	}
	for _, ok := range seen {
		if !ok {
			return nil, nil
		}
	}
	return tokens, nil
}
