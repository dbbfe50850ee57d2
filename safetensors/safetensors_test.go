package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/safetensors"
	"github.com/lmhead/lmhead/safetensors/internal/fixture"
)

// TestHandLaid checks the reader against a file laid out byte by byte from
// the format's description, with no help from the writer.
func TestHandLaid(t *testing.T) {
	header := `{"__metadata__":{"format":"pt"},` +
		`"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},` +
		`"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}`
	if len(header) != 142 {
		t.Fatalf("header is %d bytes, want 142", len(header))
	}
	data := []byte{142, 0, 0, 0, 0, 0, 0, 0} // N = 142, little-endian uint64: not a multiple of 8, which is fine
	data = append(data, header...)
	// data section at byte 8+142 = 150: a = {1.0, -2.0} as f32, then
	// b = {0.5, 3.0} as bf16 (0x3f00, 0x4040).
	data = append(data,
		0x00, 0x00, 0x80, 0x3f, // 1.0f
		0x00, 0x00, 0x00, 0xc0, // -2.0f
		0x00, 0x3f, // bf16 0.5
		0x40, 0x40, // bf16 3.0
	)
	f, err := safetensors.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.HeaderSize != 142 || !reflect.DeepEqual(f.Metadata, map[string]string{"format": "pt"}) {
		t.Errorf("header size %d metadata %v", f.HeaderSize, f.Metadata)
	}
	ts := f.Tensors()
	if len(ts) != 2 || ts[0].Name != "a" || ts[1].Name != "b" {
		t.Fatalf("tensors %+v, want a then b (by offset)", ts)
	}
	a, _ := f.Tensor("a")
	if a.Dtype != safetensors.F32 || !reflect.DeepEqual(a.Shape, []uint64{1, 2}) || a.Begin != 0 || a.End != 8 || &a.Bytes()[0] != &data[150] {
		t.Errorf("a: %+v", a)
	}
	m, err := a.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Dequantize(make([]float32, 2), 0, 1); m.Rows() != 1 || m.Cols() != 2 || !reflect.DeepEqual(got, []float32{1, -2}) {
		t.Errorf("a: %dx%d %v", m.Rows(), m.Cols(), got)
	}
	m, err = f.Matrix("b")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Dequantize(make([]float32, 2), 0, 1); m.Format() != lmhead.BF16 || !reflect.DeepEqual(got, []float32{0.5, 3}) {
		t.Errorf("b: %v %v", m.Format(), got)
	}
	if _, err := f.Matrix("c"); !errors.Is(err, safetensors.ErrNotFound) {
		t.Errorf("missing tensor: %v", err)
	}
}

// TestFixtures checks that the checked-in fixtures are what
// internal/fixture makes (run go generate in safetensors/ after changing
// it), and reads them back.
func TestFixtures(t *testing.T) {
	files, err := fixture.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		have, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("testdata/%s differs from what internal/fixture makes: run go generate ./safetensors", name)
		}
	}
	f, err := safetensors.Open("testdata/all-dtypes.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !reflect.DeepEqual(f.Metadata, fixture.AllDtypesMetadata) {
		t.Errorf("metadata %v", f.Metadata)
	}
	for _, wt := range fixture.AllDtypes() {
		tt, ok := f.Tensor(wt.Name)
		if !ok {
			t.Fatalf("no %q", wt.Name)
		}
		if tt.Dtype != wt.Dtype || !bytes.Equal(tt.Bytes(), wt.Data) || len(tt.Shape) != len(wt.Shape) {
			t.Errorf("%s: %s %v, want %s %v", wt.Name, tt.Dtype, tt.Shape, wt.Dtype, wt.Shape)
		}
		m, err := tt.Matrix()
		format, ok := wt.Dtype.Format()
		if !ok {
			if err == nil || !strings.Contains(err.Error(), `tensor "`+wt.Name+`" dtype: `+string(wt.Dtype)+" at byte") {
				t.Errorf("%s: Matrix error %v, want one naming the tensor and its dtype", wt.Name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", wt.Name, err)
		}
		rows, cols := 1, 1
		if len(wt.Shape) > 0 {
			cols = int(wt.Shape[len(wt.Shape)-1])
			for _, d := range wt.Shape[:len(wt.Shape)-1] {
				rows *= int(d)
			}
		}
		ref, err := lmhead.NewMatrix(format, rows, cols, wt.Data)
		if err != nil {
			t.Fatal(err)
		}
		a := m.Dequantize(make([]float32, rows*cols), 0, m.Rows())
		b := ref.Dequantize(make([]float32, rows*cols), 0, rows)
		if m.Rows() != rows || m.Cols() != cols || !reflect.DeepEqual(bitsOf(a), bitsOf(b)) {
			t.Errorf("%s: %dx%d, want %dx%d", wt.Name, m.Rows(), m.Cols(), rows, cols)
		}
	}
}

func bitsOf(x []float32) []uint32 {
	out := make([]uint32, len(x))
	for i, v := range x {
		out[i] = math.Float32bits(v)
	}
	return out
}

func TestModel(t *testing.T) {
	for _, fx := range fixture.Folders() {
		t.Run(fx.Name, func(t *testing.T) {
			m, err := safetensors.OpenModel(filepath.Join("testdata", fx.Name))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			var names []string
			for _, shard := range fx.Shards {
				for _, wt := range shard {
					names = append(names, wt.Name)
					tt, ok := m.Tensor(wt.Name)
					if !ok || !bytes.Equal(tt.Bytes(), wt.Data) || tt.Dtype != wt.Dtype {
						t.Errorf("tensor %q: %v", wt.Name, tt)
					}
				}
			}
			got := m.Names()
			if len(got) != len(names) {
				t.Errorf("names %q, want %q", got, names)
			}
		})
	}
	m, err := safetensors.OpenModel("testdata/llama")
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config
	if c.ModelType != "llama" || c.VocabSize != 8 || c.HiddenSize != 16 || c.TieWordEmbeddings == nil || *c.TieWordEmbeddings ||
		c.FinalLogitSoftcapping != nil || c.LogitScale != nil || c.TextConfig || !reflect.DeepEqual(c.Architectures, []string{"LlamaForCausalLM"}) {
		t.Errorf("llama config %+v", c)
	}
	head, err := m.Matrix("lm_head.weight")
	if err != nil || head.Rows() != 8 || head.Cols() != 16 || head.Format() != lmhead.F32 {
		t.Errorf("lm_head: %v %dx%d %v", head.Format(), head.Rows(), head.Cols(), err)
	}
	if _, err := m.Matrix("nope"); !errors.Is(err, safetensors.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	m.Close()

	m, err = safetensors.OpenModel("testdata/sharded")
	if err != nil {
		t.Fatal(err)
	}
	c = m.Config
	if c.VocabSize != 8 || c.TieWordEmbeddings != nil || c.FinalLogitSoftcapping == nil || *c.FinalLogitSoftcapping != 30 || c.LogitScale != nil {
		t.Errorf("sharded config %+v", c)
	}
	if _, err := m.Matrix("model.layers.0.mlp.gate"); err == nil || !strings.Contains(err.Error(), "model-00002-of-00002.safetensors: tensor \"model.layers.0.mlp.gate\" dtype: I8 at byte") {
		t.Errorf("I8 Matrix: %v", err)
	}
	m.Close()

	m, err = safetensors.OpenModel("testdata/gemma3")
	if err != nil {
		t.Fatal(err)
	}
	c = m.Config
	if !c.TextConfig || c.ModelType != "gemma3_text" || c.VocabSize != 12 || c.HiddenSize != 32 || c.TieWordEmbeddings == nil || !*c.TieWordEmbeddings || c.FinalLogitSoftcapping != nil {
		t.Errorf("gemma3 config %+v", c)
	}
	m.Close()
}

func TestConfig(t *testing.T) {
	c, err := safetensors.ParseConfig([]byte(`{"vocab_size": 256000, "hidden_size": 3072, "final_logit_softcapping": 30.0, "logit_scale": 0.0625, "tie_word_embeddings": true}`))
	if err != nil || c.VocabSize != 256000 || c.HiddenSize != 3072 || *c.FinalLogitSoftcapping != 30 || *c.LogitScale != 0.0625 || !*c.TieWordEmbeddings {
		t.Errorf("%+v %v", c, err)
	}
	for _, bad := range []struct{ json, want string }{
		{`[]`, "config at byte 0: not a JSON object"},
		{`{"vocab_size": -1}`, "vocab_size: -1 at byte 15: want a non-negative integer"},
		{`{"vocab_size": 1.5}`, "vocab_size: 1.5 at byte 15: want a non-negative integer"},
		{`{"hidden_size": "x"}`, `hidden_size: "x" at byte 16: want a non-negative integer`},
		{`{"tie_word_embeddings": 1}`, "tie_word_embeddings: 1 at byte 24: want true or false"},
		{`{"logit_scale": "2"}`, `logit_scale: "2" at byte 16: want a number or null`},
		{`{"text_config": {"vocab_size": true}}`, "text_config.vocab_size: true at byte 31: want a non-negative integer"},
		{`{"text_config": 3}`, "text_config at byte 16: not a JSON object"},
		{`{"a": 1, "a": 2}`, `config key "a" at byte 9: duplicate key`},
		{`{"a": 1`, "config at byte 7: invalid JSON"},
	} {
		_, err := safetensors.ParseConfig([]byte(bad.json))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.json, err, bad.want)
		}
	}
}

// le64 is the 8-byte header length.
func le64(n int) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }
