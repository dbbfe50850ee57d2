package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/lmhead/lmhead/head"
)

// modelInfo is what -model found, for the report.
type modelInfo struct {
	Path         string  `json:"path"`
	Kind         string  `json:"kind"`
	Architecture string  `json:"architecture"`
	Tensor       string  `json:"tensor"`
	Tied         bool    `json:"tied"`
	Format       string  `json:"format"`
	Softcap      float32 `json:"softcap"`
	LogitScale   float32 `json:"logit_scale"`
	FileBytes    int64   `json:"file_bytes"`
	Tokens       bool    `json:"has_tokens"`
	// Hidden says where the hidden state came from.
	Hidden string `json:"hidden_source"`
}

// openModel opens -model and picks the hidden state: -hidden FILE, else
// the embedding row of -token for a tied head, else a seeded vector.
func openModel(o *options, workers int) (*head.Head, *modelInfo, []float32, error) {
	h, err := head.Open(o.model, head.WithWorkers(workers))
	if err != nil {
		return nil, nil, nil, err
	}
	src, _ := h.Source()
	info := &modelInfo{Path: src.Path, Kind: src.Kind, Architecture: src.Architecture, Tensor: src.Tensor,
		Tied: src.Tied, Format: src.Format.String(), Softcap: src.Softcap, LogitScale: src.LogitScale,
		FileBytes: src.FileBytes, Tokens: h.Tokens() != nil}
	d := h.Hidden()
	var hidden []float32
	switch {
	case o.hiddenFile != "":
		hidden, err = readHidden(o.hiddenFile, d)
		info.Hidden = "file " + o.hiddenFile
	case src.Tied:
		if o.token < 0 || o.token >= h.Vocab() {
			err = usagef("-token %d: want a token id in [0, %d)", o.token, h.Vocab())
			break
		}
		hidden = h.Unembedding().Dequantize(make([]float32, d), o.token, o.token+1)
		info.Hidden = fmt.Sprintf("the embedding row of token %d%s", o.token, quoted(h.Tokens(), o.token))
	default:
		// Unit variance per coordinate, as a normalized final hidden state
		// has before the final norm's gain.
		hidden = newGenerator(o.seed, 0, 1, nil).uniform(streamHidden, d, math.Sqrt(3))
		info.Hidden = fmt.Sprintf("a seeded vector (seed %d; the head is not tied, so -token has no embedding row)", o.seed)
	}
	if err != nil {
		h.Close()
		return nil, nil, nil, err
	}
	return h, info, hidden, nil
}

// quoted returns ` "text"` for a token with a string, else "".
func quoted(tokens []string, id int) string {
	if id < len(tokens) {
		return " " + strconv.Quote(tokens[id])
	}
	return ""
}

// npyHeader matches the header dictionary of a NumPy .npy file.
var npyHeader = regexp.MustCompile(`'descr':\s*'([<|>]?[a-z]\d+)'.*'fortran_order':\s*(True|False).*'shape':\s*\(([^)]*)\)`)

// readHidden reads a hidden state of d float32s: a .npy file (format
// versions 1-3, dtype '<f4', shape (d,) or (1, d)), or raw little-endian
// float32s.
func readHidden(path string, d int) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw := data
	if bytes.HasPrefix(data, []byte("\x93NUMPY")) {
		if len(data) < 10 {
			return nil, fmt.Errorf("-hidden %s: truncated .npy header", path)
		}
		major := data[6]
		var hlen, start int
		switch major {
		case 1:
			hlen, start = int(binary.LittleEndian.Uint16(data[8:])), 10
		case 2, 3:
			if len(data) < 12 {
				return nil, fmt.Errorf("-hidden %s: truncated .npy header", path)
			}
			hlen, start = int(binary.LittleEndian.Uint32(data[8:])), 12
		default:
			return nil, fmt.Errorf("-hidden %s: .npy version %d", path, major)
		}
		if hlen > len(data)-start {
			return nil, fmt.Errorf("-hidden %s: .npy header of %d bytes beyond the file", path, hlen)
		}
		m := npyHeader.FindStringSubmatch(string(data[start : start+hlen]))
		if m == nil {
			return nil, fmt.Errorf("-hidden %s: .npy header %q not understood", path, data[start:start+hlen])
		}
		if m[1] != "<f4" {
			return nil, fmt.Errorf("-hidden %s: .npy dtype %s, want <f4 (little-endian float32)", path, m[1])
		}
		n := 1
		for _, f := range strings.Split(m[3], ",") {
			if f = strings.TrimSpace(f); f != "" {
				k, err := strconv.Atoi(f)
				if err != nil {
					return nil, fmt.Errorf("-hidden %s: .npy shape (%s)", path, m[3])
				}
				n *= k
			}
		}
		if n != d {
			return nil, fmt.Errorf("-hidden %s: .npy shape (%s) holds %d values, want d = %d", path, m[3], n, d)
		}
		raw = data[start+hlen:]
	}
	if len(raw) != 4*d {
		return nil, fmt.Errorf("-hidden %s: %d bytes of float32, want d = %d values (%d bytes)", path, len(raw), d, 4*d)
	}
	x := make([]float32, d)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		if v := float64(x[i]); math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("-hidden %s: value %d is %v", path, i, x[i])
		}
	}
	return x, nil
}
