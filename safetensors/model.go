package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lmhead/lmhead"
)

// The file names of a Hugging Face model folder.
const (
	ConfigFile = "config.json"
	SingleFile = "model.safetensors"
	IndexFile  = "model.safetensors.index.json"
)

// Config holds what an LM head needs from a Hugging Face config.json. A
// field the file does not have is left zero (or nil). For a multimodal
// config with a nested "text_config" (Gemma 3 and others), a field present
// in text_config wins over the top level.
type Config struct {
	// ModelType is "model_type", e.g. "llama", "gemma2".
	ModelType string
	// Architectures is "architectures", e.g. ["LlamaForCausalLM"].
	Architectures []string
	// VocabSize is "vocab_size".
	VocabSize int
	// HiddenSize is "hidden_size".
	HiddenSize int
	// TieWordEmbeddings is "tie_word_embeddings", nil if absent. Its
	// default differs by model class in transformers (True in
	// PretrainedConfig, False in LlamaConfig), so absence is kept.
	TieWordEmbeddings *bool
	// FinalLogitSoftcapping is "final_logit_softcapping" (Gemma 2), nil if
	// absent or null.
	FinalLogitSoftcapping *float64
	// LogitScale is "logit_scale" (Cohere Command-R), nil if absent or
	// null.
	LogitScale *float64
	// TextConfig reports whether a "text_config" object was read.
	TextConfig bool
}

// ReadConfig reads a config.json.
func ReadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("safetensors: %w", err)
	}
	c, err := ParseConfig(data)
	var e *Error
	if errors.As(err, &e) {
		e.Path = path
	}
	return c, err
}

// ParseConfig parses the JSON of a config.json.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	top, err := objectFields(data, 0, "config")
	if err != nil {
		return c, err
	}
	layers := [][]field{top}
	for _, fl := range top {
		if fl.key == "text_config" && string(fl.raw) != "null" {
			text, err := objectFields(fl.raw, fl.valOff, "text_config")
			if err != nil {
				return c, err
			}
			layers = append(layers, text)
			c.TextConfig = true
		}
	}
	// Later layers (text_config) overwrite earlier ones.
	for li, fields := range layers {
		prefix := ""
		if li > 0 {
			prefix = "text_config."
		}
		for _, fl := range fields {
			name := prefix + fl.key
			bad := func(want string) error { return errorf(name, clip(fl.raw), fl.valOff, "want %s", want) }
			null := string(fl.raw) == "null"
			switch fl.key {
			case "model_type":
				if null {
					continue
				}
				if json.Unmarshal(fl.raw, &c.ModelType) != nil || fl.raw[0] != '"' {
					return c, bad("a string")
				}
			case "architectures":
				if null {
					continue
				}
				if json.Unmarshal(fl.raw, &c.Architectures) != nil || fl.raw[0] != '[' {
					return c, bad("an array of strings")
				}
			case "vocab_size", "hidden_size":
				if null {
					continue
				}
				v, ok := uintValue(fl.raw)
				if !ok || v > uint64(maxInt) {
					return c, bad("a non-negative integer")
				}
				if fl.key == "vocab_size" {
					c.VocabSize = int(v)
				} else {
					c.HiddenSize = int(v)
				}
			case "tie_word_embeddings":
				if null {
					continue
				}
				var b bool
				if json.Unmarshal(fl.raw, &b) != nil {
					return c, bad("true or false")
				}
				c.TieWordEmbeddings = &b
			case "final_logit_softcapping", "logit_scale":
				var p *float64
				if !null {
					var x float64
					if fl.raw[0] == '"' || json.Unmarshal(fl.raw, &x) != nil {
						return c, bad("a number or null")
					}
					p = &x
				}
				if fl.key == "logit_scale" {
					c.LogitScale = p
				} else {
					c.FinalLogitSoftcapping = p
				}
			}
		}
	}
	return c, nil
}

const maxInt = int(^uint(0) >> 1)

// Model is a Hugging Face model folder: its config and its tensors, from
// one file or from shards. Its methods may be called from several
// goroutines at once.
type Model struct {
	// Dir is the folder.
	Dir string
	// Config is config.json's.
	Config Config

	files  []*File
	byName map[string]*Tensor
	names  []string
}

// OpenModel opens the model in dir: config.json, and model.safetensors if
// present, else the shards that model.safetensors.index.json's weight_map
// names. Each shard is memory-mapped. A weight_map entry whose shard is
// missing, or whose shard does not hold it, is an error, and so is a
// tensor that two shards hold. Close the Model when done.
func OpenModel(dir string) (*Model, error) {
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	m := &Model{Dir: dir, Config: cfg, byName: make(map[string]*Tensor)}
	ok := false
	defer func() {
		if !ok {
			m.Close()
		}
	}()
	single := filepath.Join(dir, SingleFile)
	if _, err := os.Stat(single); err == nil {
		f, err := Open(single)
		if err != nil {
			return nil, err
		}
		m.files = append(m.files, f)
		if err := m.add(f); err != nil {
			return nil, err
		}
		ok = true
		return m, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	index := filepath.Join(dir, IndexFile)
	data, err := os.ReadFile(index)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("safetensors: %s: neither %s nor %s: %w", dir, SingleFile, IndexFile, err)
		}
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if err := m.openShards(index, data); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Path == "" {
			e.Path = index
		}
		return nil, err
	}
	ok = true
	return m, nil
}

// openShards opens the shards of the index file's weight_map.
func (m *Model) openShards(index string, data []byte) error {
	top, err := objectFields(data, 0, "index")
	if err != nil {
		return err
	}
	var wm *field
	for i := range top {
		if top[i].key == "weight_map" {
			wm = &top[i]
		}
	}
	if wm == nil {
		return errorf("index", nil, 0, `no "weight_map"`)
	}
	entries, err := objectFields(wm.raw, wm.valOff, "weight_map")
	if err != nil {
		return err
	}
	shards := make(map[string]*File)
	for _, e := range entries {
		field := fmt.Sprintf("weight_map %q", e.key)
		var name string
		if e.raw[0] != '"' || json.Unmarshal(e.raw, &name) != nil {
			return errorf(field, clip(e.raw), e.valOff, "want a file name")
		}
		// A shard is a file in the folder: no paths, so that a hostile
		// index cannot point anywhere else.
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || filepath.Base(name) != name {
			return errorf(field, string(e.raw), e.valOff, "not a plain file name in the model folder")
		}
		f, seen := shards[name]
		if !seen {
			f, err = Open(filepath.Join(m.Dir, name))
			if err != nil {
				var se *Error
				if errors.As(err, &se) {
					return err
				}
				return &Error{Path: index, Field: field, Value: string(e.raw), Offset: int64(e.valOff), Msg: "shard missing or unreadable: " + cause(err).Error()}
			}
			shards[name] = f
			m.files = append(m.files, f)
			if err := m.add(f); err != nil {
				return err
			}
		}
		if _, ok := f.Tensor(e.key); !ok {
			return errorf(field, string(e.raw), e.valOff, "the shard has no such tensor")
		}
	}
	return nil
}

// add indexes f's tensors.
func (m *Model) add(f *File) error {
	for i := range f.tensors {
		t := &f.tensors[i]
		if other, dup := m.byName[t.Name]; dup {
			return &Error{Path: f.path, Field: fmt.Sprintf("tensor %q", t.Name), Offset: int64(t.nameOff),
				Msg: "also in " + other.path}
		}
		m.byName[t.Name] = t
		m.names = append(m.names, t.Name)
	}
	return nil
}

// Close unmaps every file. Tensors and Matrix views are invalid after it.
func (m *Model) Close() error {
	var errs []error
	for _, f := range m.files {
		errs = append(errs, f.Close())
	}
	m.files = nil
	return errors.Join(errs...)
}

// Names returns every tensor's name, sorted.
func (m *Model) Names() []string {
	s := slices.Clone(m.names)
	slices.Sort(s)
	return s
}

// Tensor returns the tensor called name, from whichever file holds it.
func (m *Model) Tensor(name string) (*Tensor, bool) {
	t, ok := m.byName[name]
	return t, ok
}

// Matrix returns the matrix view of the tensor called name. The error
// wraps ErrNotFound if there is none.
func (m *Model) Matrix(name string) (lmhead.Matrix, error) {
	t, ok := m.byName[name]
	if !ok {
		return lmhead.Matrix{}, fmt.Errorf("safetensors: %s: tensor %q: %w", m.Dir, name, ErrNotFound)
	}
	return t.Matrix()
}

// cause strips Open's "safetensors: " wrapping from an os error.
func cause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
