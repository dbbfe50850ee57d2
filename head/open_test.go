package head_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/gguf"
	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
	"github.com/lmhead/lmhead/safetensors/stwrite"
)

// ggmlRows reads a fixture's ggml-decoded head (../testdata/gguf, written
// by ggml itself).
func ggmlRows(t *testing.T, name string) []float32 {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "gguf", name+".f32"))
	require.NoError(t, err)
	w := make([]float32, len(raw)/4)
	for i := range w {
		w[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return w
}

// checkOpenedLogits compares an opened GGUF head's logits with the
// float64 dot products over ggml's own decoding of its rows (w, V×d), with
// the Gemv bound of the format (tu.RefGemvRow over the tensor's bytes,
// read here through the gguf package).
func checkOpenedLogits(t *testing.T, h *head.Head, path, tensor string, w []float32) {
	t.Helper()
	f, err := gguf.Open(path)
	require.NoError(t, err)
	defer f.Close()
	m, err := f.Matrix(tensor)
	require.NoError(t, err)
	r := tu.Rand(60)
	x := make([]float32, h.Hidden())
	tu.Fill(r, x)
	logits := h.Logits(nil, x)
	rb := m.RowBytes()
	for i := range logits {
		_, bound := tu.RefGemvRow(m.Format(), m.Bytes()[i*rb:(i+1)*rb], x)
		var ref float64
		for j, xj := range x {
			ref += float64(w[i*len(x)+j]) * float64(xj)
		}
		require.Truef(t, tu.Close(logits[i], ref, bound), "logit %d = %v, want %v ± %v", i, logits[i], ref, bound)
	}
}

// TestOpenGGUF opens every ggml-written fixture: the head is output.weight
// (or the tied token_embd.weight), in place, and its logits are those of
// ggml's own decoding of it.
func TestOpenGGUF(t *testing.T) {
	for _, c := range []struct {
		file, format, tensor string
		tied                 bool
	}{
		{"head-f32.gguf", "F32", "output.weight", false},
		{"head-f16.gguf", "F16", "output.weight", false},
		{"head-bf16.gguf", "BF16", "output.weight", false},
		{"head-q8_0.gguf", "Q8_0", "output.weight", false},
		{"head-q4_0.gguf", "Q4_0", "output.weight", false},
		{"head-q4_K.gguf", "Q4_K", "output.weight", false},
		{"head-q6_K.gguf", "Q6_K", "output.weight", false},
		{"tied-q6_K.gguf", "Q6_K", "token_embd.weight", true},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "gguf", c.file)
			h, err := head.Open(path, head.WithWorkers(2))
			require.NoError(t, err)
			defer h.Close()
			src, ok := h.Source()
			require.True(t, ok)
			fi, _ := os.Stat(path)
			require.Equal(t, head.Source{
				Path: path, Kind: "gguf", Architecture: "llama", Tensor: c.tensor, Tied: c.tied,
				Format: mustFormat(t, c.format), Vocab: 16, Hidden: 768, FileBytes: fi.Size(),
				WeightBytes: int64(16 * rowBytes(t, c.format, 768)),
			}, src)
			toks := h.Tokens()
			require.Len(t, toks, 16)
			for i, s := range toks {
				require.Equal(t, fmt.Sprintf("<t%d>", i), s)
			}
			checkOpenedLogits(t, h, path, c.tensor, ggmlRows(t, c.file))
			require.NoError(t, h.Close())
			require.NoError(t, h.Close(), "a second Close does nothing")
		})
	}
}

func mustFormat(t *testing.T, name string) lmhead.Format {
	f, err := lmhead.ParseFormat(name)
	require.NoError(t, err)
	return f
}

func rowBytes(t *testing.T, name string, cols int) int {
	rb, err := mustFormat(t, name).RowBytes(cols)
	require.NoError(t, err)
	return rb
}

// bf16Tensor returns a rows×cols BF16 tensor of seeded values and their
// decoded float32s.
func bf16Tensor(r interface{ Float32() float32 }, name string, rows, cols int) (stwrite.Tensor, []float32) {
	data := make([]byte, 2*rows*cols)
	w := make([]float32, rows*cols)
	for i := range w {
		h := lmhead.Float32ToBF16(2*r.Float32() - 1)
		binary.LittleEndian.PutUint16(data[2*i:], h)
		w[i] = lmhead.BF16ToFloat32(h)
	}
	return stwrite.Tensor{Name: name, Dtype: "BF16", Shape: []uint64{uint64(rows), uint64(cols)}, Data: data}, w
}

// TestOpenSafetensors opens Hugging Face folders laid out as transformers
// saves them: untied with lm_head.weight, tied (GPT-2's transformer.wte,
// Llama's model.embed_tokens), sharded, with a softcap and a logit scale,
// and a single file with its config and tokenizer beside it.
func TestOpenSafetensors(t *testing.T) {
	r := tu.Rand(61)
	const V, d = 12, 32
	emb, wEmb := bf16Tensor(r, "model.embed_tokens.weight", V, d)
	lm, wLM := bf16Tensor(r, "lm_head.weight", V, d)
	wte, wWte := bf16Tensor(r, "transformer.wte.weight", V, d)
	mm, wMM := bf16Tensor(r, "language_model.model.embed_tokens.weight", V, d)
	norm := stwrite.Tensor{Name: "model.norm.weight", Dtype: "F32", Shape: []uint64{d}, Data: make([]byte, 4*d)}
	cfg := func(extra map[string]any) map[string]any {
		c := map[string]any{"model_type": "llama", "vocab_size": V, "hidden_size": d}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	for _, c := range []struct {
		name    string
		config  map[string]any
		shards  [][]stwrite.Tensor
		tensor  string
		tied    bool
		w       []float32
		softcap float32
		scale   float32
	}{
		{"untied", cfg(map[string]any{"tie_word_embeddings": false}), [][]stwrite.Tensor{{emb, norm, lm}}, "lm_head.weight", false, wLM, 0, 0},
		{"tied", cfg(map[string]any{"tie_word_embeddings": true}), [][]stwrite.Tensor{{emb, norm}}, "model.embed_tokens.weight", true, wEmb, 0, 0},
		{"gpt2", cfg(map[string]any{"model_type": "gpt2"}), [][]stwrite.Tensor{{wte}}, "transformer.wte.weight", true, wWte, 0, 0},
		{"sharded-softcap", cfg(map[string]any{"final_logit_softcapping": 30.0, "logit_scale": nil}), [][]stwrite.Tensor{{emb, norm}, {lm}}, "lm_head.weight", false, wLM, 30, 0},
		{"gemma3-multimodal", cfg(map[string]any{"model_type": "gemma3"}), [][]stwrite.Tensor{{mm}}, "language_model.model.embed_tokens.weight", true, wMM, 0, 0},
		{"cohere-scale", cfg(map[string]any{"logit_scale": 0.0625}), [][]stwrite.Tensor{{emb}}, "model.embed_tokens.weight", true, wEmb, 0, 0.0625},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, stwrite.WriteFolder(dir, c.config, c.shards...))
			h, err := head.Open(dir)
			require.NoError(t, err)
			defer h.Close()
			src, _ := h.Source()
			require.Equal(t, "safetensors folder", src.Kind)
			require.Equal(t, c.tensor, src.Tensor)
			require.Equal(t, c.tied, src.Tied)
			require.Equal(t, lmhead.BF16, src.Format)
			require.Equal(t, c.softcap, src.Softcap)
			require.Equal(t, c.scale, src.LogitScale)
			require.Nil(t, h.Tokens())
			// The head with the same config over the decoded weights.
			ref, err := head.New(head.Config{Vocab: V, Hidden: d, Weight: c.w, Softcap: c.softcap, LogitScale: c.scale, Workers: 1})
			require.NoError(t, err)
			x := make([]float32, d)
			tu.Fill(r, x)
			got, want := h.Logits(nil, x), ref.Logits(nil, x)
			for i := range got {
				require.InDelta(t, want[i], got[i], 1e-5*(1+math.Abs(float64(want[i]))), "logit %d", i)
			}
		})
	}

	// One file, with config.json and tokenizer.json beside it.
	dir := t.TempDir()
	file := filepath.Join(dir, "weights.safetensors")
	require.NoError(t, stwrite.WriteFile(file, nil, []stwrite.Tensor{emb}))
	js, _ := json.Marshal(cfg(map[string]any{"final_logit_softcapping": 5.0}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644))
	vocab := map[string]int{}
	for i := 0; i < V-1; i++ {
		vocab[fmt.Sprintf("tok%d", i)] = i
	}
	tok, _ := json.Marshal(map[string]any{"model": map[string]any{"type": "BPE", "vocab": vocab},
		"added_tokens": []map[string]any{{"id": V - 1, "content": "</s>"}}})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644))
	h, err := head.Open(file)
	require.NoError(t, err)
	defer h.Close()
	src, _ := h.Source()
	require.Equal(t, "safetensors", src.Kind)
	require.Equal(t, float32(5), src.Softcap)
	require.Equal(t, "tok3", h.Tokens()[3])
	require.Equal(t, "</s>", h.Tokens()[V-1])
}

// TestOpenErrors checks that Open names what is wrong.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	r := tu.Rand(62)
	emb, _ := bf16Tensor(r, "model.embed_tokens.weight", 12, 32)
	other := stwrite.Tensor{Name: "model.norm.weight", Dtype: "F32", Shape: []uint64{32}, Data: make([]byte, 128)}
	i8 := stwrite.Tensor{Name: "lm_head.weight", Dtype: "I8", Shape: []uint64{12, 32}, Data: make([]byte, 12*32)}
	write := func(name string, config any, shards ...[]stwrite.Tensor) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.Mkdir(p, 0o755))
		require.NoError(t, stwrite.WriteFolder(p, config, shards...))
		return p
	}
	for _, c := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing"), "no such file"},
		{write("nohead", map[string]any{}, []stwrite.Tensor{other}), "no head tensor: none of lm_head.weight"},
		{write("badvocab", map[string]any{"vocab_size": 13}, []stwrite.Tensor{emb}), "config.json vocab_size 13, but model.embed_tokens.weight has 12 rows"},
		{write("badhidden", map[string]any{"hidden_size": 31}, []stwrite.Tensor{emb}), "config.json hidden_size 31, but model.embed_tokens.weight has 32 columns"},
		{write("int8", map[string]any{}, []stwrite.Tensor{i8}), "I8"},
		{filepath.Join("..", "testdata", "gguf", "README.md"), "gguf"},
	} {
		_, err := head.Open(c.path)
		require.Error(t, err, c.path)
		require.Contains(t, err.Error(), c.want, c.path)
	}
}

// TestOpenLargeNoCopy makes a 1 GiB BF16 head (262144×2048) and opens it:
// the weights stay in the mapping, so the Go heap grows by no more than a
// few MB, and the open takes no time proportional to the weights. The file
// is sparse (the header, a hole of zeros, and the last row written), so
// that the test writes 8 KiB, not 1 GiB.
func TestOpenLargeNoCopy(t *testing.T) {
	if tu.Short() {
		t.Skip("maps 1 GiB")
	}
	const V, d = 262144, 2048
	dir := t.TempDir()
	row := make([]byte, 2*d)
	for i := 0; i < d; i++ {
		binary.LittleEndian.PutUint16(row[2*i:], lmhead.Float32ToBF16(float32(i%7)*0.01))
	}
	lm := stwrite.Tensor{Name: "lm_head.weight", Dtype: "BF16", Shape: []uint64{V, d},
		Fill: func(io.Writer) error { return nil }} // only Header is called: the data is laid out below
	hdr, err := stwrite.Header(nil, []stwrite.Tensor{lm})
	require.NoError(t, err)
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	require.NoError(t, err)
	_, err = f.Write(hdr)
	require.NoError(t, err)
	_, err = f.WriteAt(row, int64(len(hdr))+int64(V-1)*int64(len(row)))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	js, _ := json.Marshal(map[string]any{"vocab_size": V, "hidden_size": d})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	h, err := head.Open(dir)
	require.NoError(t, err)
	opened := time.Since(start)
	defer h.Close()
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("opened a %d MiB head in %v; heap grew by %d KiB", V*d*2>>20, opened, grew>>10)
	require.Less(t, grew, int64(4<<20), "Open copied the weights")
	src, _ := h.Source()
	require.Equal(t, int64(V*d*2), src.WeightBytes)
	// The logits are right where the weights were read from the mapping.
	x := make([]float32, d)
	x[3] = 1
	got := h.Logits(nil, x)
	require.Equal(t, lmhead.BF16ToFloat32(lmhead.Float32ToBF16(0.03)), got[V-1])
	require.Equal(t, float32(0), got[0])
}
