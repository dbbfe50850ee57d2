package fuzz

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/gguf"
)

// addFiles adds every file matching the patterns as a seed.
func addFiles(f *testing.F, patterns ...string) {
	f.Helper()
	n := 0
	for _, p := range patterns {
		paths, err := filepath.Glob(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			b, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seed files match %q", patterns)
	}
}

// ggufSeed lays out a small GGUF v3 file: one u32 pair and one F32 tensor
// of 8 weights.
func ggufSeed(version uint32, typ uint32) []byte {
	le := binary.LittleEndian
	b := []byte("GGUF")
	b = le.AppendUint32(b, version)
	b = le.AppendUint64(b, 1) // tensors
	b = le.AppendUint64(b, 1) // kvs
	b = le.AppendUint64(b, 1)
	b = append(b, 'k')
	b = le.AppendUint32(b, 4)
	b = le.AppendUint32(b, 7)
	b = le.AppendUint64(b, 1)
	b = append(b, 'w')
	b = le.AppendUint32(b, 2)
	b = le.AppendUint64(b, 32)
	b = le.AppendUint64(b, 2)
	b = le.AppendUint32(b, typ)
	b = le.AppendUint64(b, 0)
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	return append(b, make([]byte, 256)...)
}

// FuzzGGUF parses arbitrary bytes as a GGUF file. It must never panic; an
// error must be a *gguf.Error with an offset inside the input; and a file
// that parses must have every tensor's bytes inside the input, where its
// info says, with row 0 of every Matrix decodable.
func FuzzGGUF(f *testing.F) {
	// The small fixtures, and one file ggml wrote (the smallest, 11 KB: the
	// others add little and slow the fuzzer, which minimizes every new
	// input).
	addFiles(f, "../gguf/testdata/*.gguf", "../testdata/gguf/tied-q6_K.gguf")
	f.Add([]byte("GGUF"))
	f.Add(ggufSeed(3, 0))
	f.Add(ggufSeed(2, 8))
	f.Add(ggufSeed(3, 12))
	f.Add(ggufSeed(3, 13))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := gguf.Parse(data)
		if err != nil {
			var e *gguf.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v, want *gguf.Error", err, err)
			}
			if e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("error offset %d outside the %d-byte input: %v", e.Offset, len(data), err)
			}
			return
		}
		for _, kv := range file.KVs() {
			v, ok := file.Value(kv.Key)
			if !ok {
				t.Fatalf("key %q listed but not found", kv.Key)
			}
			_ = v.Any()
			_ = v.String()
			_, _ = file.Strings(kv.Key)
			_, _ = file.Uint(kv.Key)
			_, _ = file.Float(kv.Key)
			if v.Type() == gguf.Array && v.Len() > 0 {
				_ = v.Index(v.Len() - 1).Any()
			}
		}
		for i := range file.Tensors() {
			tt := &file.Tensors()[i]
			if got, ok := file.Tensor(tt.Name); !ok || got != tt {
				t.Fatalf("tensor %q listed but not found", tt.Name)
			}
			start := uint64(file.DataOffset) + tt.Offset
			if start+tt.Size > uint64(len(data)) || uint64(len(tt.Bytes())) != tt.Size {
				t.Fatalf("tensor %q: [%d, +%d) outside the %d-byte input", tt.Name, start, tt.Size, len(data))
			}
			if tt.Size > 0 && &tt.Bytes()[0] != &data[start] {
				t.Fatalf("tensor %q: bytes are not the input's at %d", tt.Name, start)
			}
			m, err := tt.Matrix()
			if _, supported := lmhead.FormatOfGGMLType(uint32(tt.Type)); !supported {
				if err == nil {
					t.Fatalf("tensor %q of %v: Matrix without error", tt.Name, tt.Type)
				}
				continue
			}
			if err != nil {
				t.Fatalf("tensor %q of %v %v: %v", tt.Name, tt.Type, tt.Dims, err)
			}
			if m.Rows() > 0 {
				m.Dequantize(make([]float32, m.Cols()), 0, 1)
			}
		}
	})
}
