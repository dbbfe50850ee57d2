package safetensors_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lmhead/lmhead/safetensors"
	"github.com/lmhead/lmhead/safetensors/internal/fixture"
	"github.com/lmhead/lmhead/safetensors/stwrite"
)

// file lays out a .safetensors file: header length, header, data.
func file(header string, data []byte) []byte {
	return append(append(le64(len(header)), header...), data...)
}

// at returns the file offset of the first sub in header: the header
// starts at byte 8.
func at(header, sub string) int {
	i := strings.Index(header, sub)
	if i < 0 {
		panic(sub + " not in " + header)
	}
	return 8 + i
}

// TestBadInput: every malformed file gives an *Error naming the field and
// its byte offset (computed independently with at), and never panics. The
// crate's name for each check is in the message.
func TestBadInput(t *testing.T) {
	const a4 = `"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`
	type tc struct {
		name string
		data []byte
		want string
	}
	var cases []tc
	add := func(name string, data []byte, want string, args ...any) {
		cases = append(cases, tc{name, data, fmt.Sprintf(want, args...)})
	}
	add("empty file", nil, "header length at byte 0: truncated: the file has 0 bytes, want at least 8 (HeaderTooSmall)")
	add("7 bytes", make([]byte, 7), "header length at byte 0: truncated: the file has 7 bytes")
	add("header over 100 MB", le64(100_000_001), "header length: 100000001 at byte 0: over the 100000000-byte limit (HeaderTooLarge)")
	add("header length 2^64-1", []byte{255, 255, 255, 255, 255, 255, 255, 255}, "header length: 18446744073709551615 at byte 0: over the 100000000-byte limit")
	add("header length past the end", append(le64(100), "{}"...), "header length: 100 at byte 0: the header runs past the end of the 10-byte file (InvalidHeaderLength)")
	add("header not an object", file(`[1,2]`, nil), "header at byte 8: not a JSON object")
	add("header a string", file(`  "x"`, nil), "header at byte 10: not a JSON object")
	add("header not JSON", file(`{"a":`, nil), `header key "a" at byte 13: invalid JSON: unexpected end of JSON`)
	add("header with bad syntax", file(`{"a" 1}`, nil), `header key "a" at byte 13: invalid JSON: expected colon after object key`)
	add("invalid UTF-8", file("{\"a\xff\":1}", nil), "header at byte 11: invalid UTF-8")
	add("data after the object", file(`{} x`, nil), "header at byte 11: data after the JSON object")
	h := `{` + a4 + `,` + a4 + `}`
	add("duplicate tensor name", file(h, make([]byte, 8)), `header key "a" at byte %d: duplicate key`, 8+len(a4)+2)
	h = `{"a":3}`
	add("tensor info not an object", file(h, nil), `tensor "a" at byte 13: not a JSON object`)
	h = `{"a":{"shape":[1],"data_offsets":[0,4]}}`
	add("no dtype", file(h, make([]byte, 4)), `tensor "a" at byte 9: no "dtype"`)
	h = `{"a":{"dtype":"F32","data_offsets":[0,4]}}`
	add("no shape", file(h, make([]byte, 4)), `tensor "a" at byte 9: no "shape"`)
	h = `{"a":{"dtype":"F32","shape":[1]}}`
	add("no data_offsets", file(h, make([]byte, 4)), `tensor "a" at byte 9: no "data_offsets"`)
	h = `{"a":{"dtype":"Q4_K","shape":[1],"data_offsets":[0,4]}}`
	add("unknown dtype", file(h, make([]byte, 4)), `tensor "a" dtype: Q4_K at byte %d: unknown dtype`, at(h, `"Q4_K"`))
	h = `{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}`
	add("dtype not a string", file(h, make([]byte, 4)), `tensor "a" dtype: 7 at byte %d: want a string`, at(h, `7`))
	h = `{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}`
	add("duplicate member", file(h, make([]byte, 4)), `tensor "a" key "dtype" at byte %d: duplicate key`, at(h, `"dtype":"F16"`))
	h = `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`
	add("negative dim", file(h, make([]byte, 4)), `tensor "a" shape: [-1] at byte %d: element 0 -1 is not a non-negative integer`, at(h, `[-1]`))
	h = `{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}`
	add("fractional dim", file(h, make([]byte, 4)), `tensor "a" shape: [1.0] at byte %d: element 0 1.0 is not`, at(h, `[1.0]`))
	h = `{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}`
	add("dim over 64 bits", file(h, make([]byte, 4)), `tensor "a" shape: [18446744073709551616] at byte %d: element 0`, at(h, `[184`))
	h = `{"a":{"dtype":"F32","shape":{},"data_offsets":[0,4]}}`
	add("shape not an array", file(h, make([]byte, 4)), `tensor "a" shape: {} at byte %d: want an array`, at(h, `{}`))
	h = `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`
	add("three data_offsets", file(h, make([]byte, 4)), `tensor "a" data_offsets: [0,4,8] at byte %d: want [begin, end]`, at(h, `[0,4,8]`))
	h = `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`
	add("end before begin", file(h, make([]byte, 4)), `tensor "a" data_offsets: [4,0] at byte %d: end before begin (InvalidOffset)`, at(h, `[4,0]`))
	h = `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`
	add("dtype and shape disagree with data_offsets", file(h, make([]byte, 4)), `tensor "a" data_offsets: [0,4] at byte %d: holds 4 bytes, but dtype F32 and shape [2] make 8 (TensorInvalidInfo)`, at(h, `[0,4]`))
	h = `{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`
	add("element count overflow", file(h, make([]byte, 4)), `tensor "a" shape: [4294967296 4294967296] at byte %d: element count overflows 64 bits (ValidationOverflow)`, at(h, `[42`))
	h = `{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}}`
	add("bit size overflow", file(h, make([]byte, 4)), `tensor "a" shape: [4611686018427387904] at byte %d: bit size of F64 overflows 64 bits (ValidationOverflow)`, at(h, `[46`))
	h = `{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`
	add("not whole bytes", file(h, make([]byte, 2)), `tensor "a" shape: [3] at byte %d: 3 elements of F4 are not whole bytes (MisalignedSlice)`, at(h, `[3]`))
	h = `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`
	add("first tensor not at 0", file(h, make([]byte, 8)), `tensor "a" data_offsets: [4,8] at byte %d: leaves a gap after the start of the data: tensors must be contiguous (InvalidOffset)`, at(h, `[4,8]`))
	h = `{` + a4 + `,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`
	add("gap between tensors", file(h, make([]byte, 12)), `tensor "b" data_offsets: [8,12] at byte %d: leaves a gap after tensor "a", which ends at 4: tensors must be contiguous (InvalidOffset)`, at(h, `[8,12]`))
	h = `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`
	add("overlapping tensors", file(h, make([]byte, 12)), `tensor "b" data_offsets: [4,12] at byte %d: overlaps tensor "a", which ends at 8: tensors must be contiguous (InvalidOffset)`, at(h, `[4,12]`))
	h = `{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},` + a4 + `}`
	add("two tensors at the same offset", file(h, make([]byte, 8)), `tensor "a" data_offsets: [0,4] at byte %d: overlaps tensor "b", which ends at 4`, strings.LastIndex(h, `[0,4]`)+8)
	h = `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	add("data past the end", file(h, make([]byte, 4)), `tensor "a" data_offsets: [0,8] at byte %d: runs past the end of the data section (4 bytes from byte %d) (MetadataIncompleteBuffer)`, at(h, `[0,8]`), 8+len(h))
	h = `{` + a4 + `}`
	add("bytes after the last tensor", file(h, make([]byte, 6)), `data section at byte %d: 2 bytes after the last tensor's end, want none (MetadataIncompleteBuffer)`, 8+len(h)+4)
	h = `{"__metadata__":[1]}`
	add("__metadata__ not an object", file(h, nil), `__metadata__ at byte 24: not a JSON object`)
	h = `{"__metadata__":{"k":1}}`
	add("__metadata__ value not a string", file(h, nil), `__metadata__ "k": 1 at byte 29: want a string`)
	h = `{"__metadata__":{"k":"1","k":"2"}}`
	add("__metadata__ duplicate key", file(h, nil), `__metadata__ key "k" at byte 33: duplicate key`)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := safetensors.Parse(c.data)
			if err == nil {
				t.Fatalf("no error; parsed %d tensors", len(f.Tensors()))
			}
			var e *safetensors.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v, want *safetensors.Error", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n\t%v\nwant it to contain\n\t%s", err, c.want)
			}
			t.Log(err)
		})
	}
	// Fine: tensors listed out of order, a header padded to no multiple of
	// 8, unknown members, empty tensors, no tensors.
	for i, h := range []string{
		`{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},` + a4 + `}`,
		`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":{"x":[1,2]}}}`,
		`{"e":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]},` + a4 + `}  `,
		`{}`,
		` {"__metadata__":null} `,
	} {
		data := make([]byte, 0)
		if strings.Contains(h, `"a"`) {
			data = make([]byte, 4)
		}
		if strings.Contains(h, `"b"`) {
			data = make([]byte, 8)
		}
		if _, err := safetensors.Parse(file(h, data)); err != nil {
			t.Errorf("good file %d: %v", i, err)
		}
	}
}

// TestBadModel: the folder-level faults.
func TestBadModel(t *testing.T) {
	shard1 := []stwrite.Tensor{fixture.T(1, "a", safetensors.F32, 2)}
	shard2 := []stwrite.Tensor{fixture.T(2, "b", safetensors.F32, 2)}
	cfg := map[string]any{"vocab_size": 2}
	const index = `{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}`
	cases := []struct {
		name  string
		setup func(dir string) // breaks a good two-shard folder
		want  string
	}{
		{"missing config.json", func(dir string) { os.Remove(filepath.Join(dir, "config.json")) }, "config.json: no such file"},
		{"no model files", func(dir string) { os.Remove(filepath.Join(dir, "model.safetensors.index.json")) }, "neither model.safetensors nor model.safetensors.index.json"},
		{"missing shard", func(dir string) {
			write(dir, "model.safetensors.index.json", index)
			os.Remove(filepath.Join(dir, stwrite.ShardName(2, 2)))
		}, fmt.Sprintf(`model.safetensors.index.json: weight_map "b": "model-00002-of-00002.safetensors" at byte %d: shard missing or unreadable`,
			strings.Index(index, `"model-00002`))},
		{"shard path outside the folder", func(dir string) {
			write(dir, "model.safetensors.index.json", `{"weight_map": {"a": "../model-00001-of-00002.safetensors"}}`)
		}, `weight_map "a": "../model-00001-of-00002.safetensors" at byte 21: not a plain file name in the model folder`},
		{"tensor not in its shard", func(dir string) {
			write(dir, "model.safetensors.index.json", `{"weight_map": {"a": "model-00002-of-00002.safetensors"}}`)
		}, `weight_map "a": "model-00002-of-00002.safetensors" at byte 21: the shard has no such tensor`},
		{"no weight_map", func(dir string) { write(dir, "model.safetensors.index.json", `{"metadata": {}}`) }, `index at byte 0: no "weight_map"`},
		{"weight_map duplicate key", func(dir string) {
			write(dir, "model.safetensors.index.json", `{"weight_map": {"a": "x", "a": "y"}}`)
		}, `weight_map key "a" at byte 26: duplicate key`},
		{"tensor in two shards", func(dir string) {
			b, _ := stwrite.Encode(nil, shard1)
			write(dir, stwrite.ShardName(2, 2), string(b))
		}, `model-00002-of-00002.safetensors: tensor "a" at byte 9: also in`},
		{"bad shard", func(dir string) { write(dir, stwrite.ShardName(2, 2), "\x02\x00\x00\x00\x00\x00\x00\x00[]") },
			`model-00002-of-00002.safetensors: header at byte 8: not a JSON object`},
		{"bad config", func(dir string) { write(dir, "config.json", `{"vocab_size": "many"}`) }, `config.json: vocab_size: "many" at byte 15: want a non-negative integer`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := stwrite.WriteFolder(dir, cfg, shard1, shard2); err != nil {
				t.Fatal(err)
			}
			if m, err := safetensors.OpenModel(dir); err != nil {
				t.Fatalf("the good folder: %v", err)
			} else {
				m.Close()
			}
			c.setup(dir)
			m, err := safetensors.OpenModel(dir)
			if err == nil {
				m.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n\t%v\nwant it to contain\n\t%s", err, c.want)
			}
			t.Log(err)
		})
	}
}

func write(dir, name, content string) {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		panic(err)
	}
}
