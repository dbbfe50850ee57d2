package fuzz

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/lmhead/lmhead/safetensors"
)

// stSeed lays out a .safetensors file around a JSON header.
func stSeed(header string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), make([]byte, data)...)
}

// FuzzSafetensors parses arbitrary bytes as a .safetensors file (and as a
// config.json). It must never panic; an error must be a *safetensors.Error
// with an offset inside the input; and a file that parses must have every
// tensor's bytes inside the input, contiguous, with row 0 of every Matrix
// decodable.
func FuzzSafetensors(f *testing.F) {
	addFiles(f, "../safetensors/testdata/*.safetensors", "../safetensors/testdata/*/*.safetensors")
	f.Add(stSeed(`{}`, 0))
	f.Add(stSeed(`{"__metadata__":{"a":"b"},"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]}}`, 12))
	f.Add(stSeed(`{"w":{"dtype":"F16","shape":[1,4],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, 16))
	f.Add(stSeed(`{"w":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}`, 2))
	f.Add([]byte(`{"vocab_size": 8, "text_config": {"hidden_size": 4, "final_logit_softcapping": 30.0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := safetensors.ParseConfig(data); err != nil {
			var e *safetensors.Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("ParseConfig: %T %v, want a *safetensors.Error inside the input", err, err)
			}
		}
		file, err := safetensors.Parse(data)
		if err != nil {
			var e *safetensors.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v, want *safetensors.Error", err, err)
			}
			if e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("error offset %d outside the %d-byte input: %v", e.Offset, len(data), err)
			}
			return
		}
		start := uint64(8 + file.HeaderSize)
		next := uint64(0)
		for i := range file.Tensors() {
			tt := &file.Tensors()[i]
			if got, ok := file.Tensor(tt.Name); !ok || got != tt {
				t.Fatalf("tensor %q listed but not found", tt.Name)
			}
			if tt.Begin != next || tt.End < tt.Begin || start+tt.End > uint64(len(data)) || uint64(len(tt.Bytes())) != tt.End-tt.Begin {
				t.Fatalf("tensor %q: [%d, %d) not contiguous after %d or outside the %d-byte input", tt.Name, tt.Begin, tt.End, next, len(data))
			}
			if tt.End > tt.Begin && &tt.Bytes()[0] != &data[start+tt.Begin] {
				t.Fatalf("tensor %q: bytes are not the input's", tt.Name)
			}
			next = tt.End
			m, err := tt.Matrix()
			if _, supported := tt.Dtype.Format(); !supported {
				if err == nil {
					t.Fatalf("tensor %q of %s: Matrix without error", tt.Name, tt.Dtype)
				}
				continue
			}
			if err != nil {
				t.Fatalf("tensor %q of %s %v: %v", tt.Name, tt.Dtype, tt.Shape, err)
			}
			if m.Rows() > 0 {
				m.Dequantize(make([]float32, m.Cols()), 0, 1)
			}
		}
		if start+next != uint64(len(data)) {
			t.Fatalf("tensors end at %d, the input at %d", start+next, len(data))
		}
	})
}
