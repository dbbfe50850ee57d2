package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/safetensors/stwrite"
)

// fixture is a ggml-written GGUF of the repository (testdata/gguf).
func fixture(name string) string { return filepath.Join("..", "..", "testdata", "gguf", name) }

// TestModelGGUF runs the demo on ggml-written files: what the file holds
// is printed, with the token strings, and the hidden state is the tied
// embedding row of -token, or a seeded vector for an untied head.
func TestModelGGUF(t *testing.T) {
	code, stdout, stderr := runArgs(t, "-model", fixture("tied-q6_K.gguf"), "-token", "3", "-steps", "2")
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{
		"model:      " + fixture("tied-q6_K.gguf") + " (gguf, llama)",
		"head:       token_embd.weight: V = 16, d = 768, Q6_K, tied, softcap off, logit scale off; 10.1 kB in the file, 10.9 kB on disk",
		`hidden:     the embedding row of token 3 "<t3>"`,
		"top 10 next tokens of the hidden state", `"<t`, "read W (Sum)",
	} {
		require.Contains(t, stdout, want)
	}
	code, stdout, stderr = runArgs(t, "-model", fixture("head-q4_K.gguf"), "-steps", "1")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "output.weight: V = 16, d = 768, Q4_K, untied")
	require.Contains(t, stdout, "hidden:     a seeded vector (seed 1")
}

// TestModelSafetensors runs the demo on a Hugging Face folder with the
// hidden state from a raw file and from a .npy file: the same state gives
// the same report.
func TestModelSafetensors(t *testing.T) {
	const V, d = 8, 64
	dir := t.TempDir()
	w := make([]byte, 2*V*d)
	for i := 0; i < V*d; i++ {
		binary.LittleEndian.PutUint16(w[2*i:], lmhead.Float32ToBF16(float32(i%13)*0.1-0.6))
	}
	require.NoError(t, stwrite.WriteFolder(dir, map[string]any{"model_type": "gemma2", "vocab_size": V, "hidden_size": d,
		"final_logit_softcapping": 30.0}, []stwrite.Tensor{{Name: "lm_head.weight", Dtype: "BF16", Shape: []uint64{V, d}, Data: w}}))
	raw := make([]byte, 4*d)
	for i := 0; i < d; i++ {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(i%5)-2))
	}
	rawPath := filepath.Join(dir, "h.bin")
	require.NoError(t, os.WriteFile(rawPath, raw, 0o644))
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (1, %d), }", d)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	npy := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)+1), byte((len(hdr)+1)>>8))
	npy = append(append(append(npy, hdr...), '\n'), raw...)
	npyPath := filepath.Join(dir, "h.npy")
	require.NoError(t, os.WriteFile(npyPath, npy, 0o644))

	var reports []report
	for _, h := range []string{rawPath, npyPath} {
		code, stdout, stderr := runArgs(t, "-model", dir, "-hidden", h, "-steps", "1", "-json")
		require.Equal(t, 0, code, stderr)
		var r report
		require.NoError(t, json.Unmarshal([]byte(stdout), &r))
		require.Equal(t, "file "+h, r.Model.Hidden)
		require.Equal(t, "safetensors folder", r.Model.Kind)
		require.Equal(t, "gemma2", r.Model.Architecture)
		require.Equal(t, float32(30), r.Model.Softcap)
		require.Equal(t, "BF16", r.Config.Format)
		require.Equal(t, uint64(2*V*d), r.WeightBytes)
		reports = append(reports, r)
	}
	require.Equal(t, reports[0].Top, reports[1].Top)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", dir, "-vocab", "5"}, "-vocab: the head comes from -model"},
		{[]string{"-token", "3"}, "-token: only with -model"},
		{[]string{"-model", dir, "-hidden", filepath.Join(dir, "config.json")}, "bytes of float32, want d = 64 values"},
		{[]string{"-model", filepath.Join(dir, "nothing")}, "no such file"},
	} {
		code, _, stderr := runArgs(t, c.args...)
		require.NotEqual(t, 0, code, c.args)
		require.Contains(t, stderr, c.want, c.args)
	}
}
