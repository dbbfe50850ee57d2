package gguf_test

import (
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/lmhead/lmhead/gguf"
)

// Little helpers that lay out GGUF fields, for the hostile files below.
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func str(s string) []byte { return append(u64(uint64(len(s))), s...) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// header is the 24-byte header of a v3 file.
func header(tensors, kvs uint64) []byte { return cat([]byte("GGUF"), u32(3), u64(tensors), u64(kvs)) }

// kv lays out a pair: key, type, value bytes.
func kv(key string, typ uint32, val ...[]byte) []byte { return cat(str(key), u32(typ), cat(val...)) }

// info lays out a tensor info.
func info(name string, typ uint32, offset uint64, dims ...uint64) []byte {
	b := cat(str(name), u32(uint32(len(dims))))
	for _, d := range dims {
		b = append(b, u64(d)...)
	}
	return cat(b, u32(typ), u64(offset))
}

// file lays out header, pairs, infos, padding to 32 and data.
func file(kvs [][]byte, infos [][]byte, data []byte) []byte {
	b := cat(header(uint64(len(infos)), uint64(len(kvs))), cat(kvs...), cat(infos...))
	if len(infos) > 0 {
		b = append(b, make([]byte, (len(b)+31)/32*32-len(b))...)
	}
	return append(b, data...)
}

// nested returns an array value nested depth deep around one u8.
func nested(depth int) []byte {
	b := cat(u32(0), u64(1), []byte{7}) // arr of 1 u8
	for range depth - 1 {
		b = cat(u32(9), u64(1), b)
	}
	return b
}

// TestBadInput: every malformed file gives an *Error naming the field and
// its byte offset, and never panics. Offsets: the header is 24 bytes; a
// pair with key "k" starts its type at 24+9 = 33 and its value at 37; an
// info for "w" (1 dim) is 9 bytes of name, 4 of n_dims at +9, 8 of dims
// at +13, type at +21, offset at +25.
func TestBadInput(t *testing.T) {
	w1 := info("w", 0, 0, 8) // 33 bytes: one F32 tensor of 8 = 32 bytes
	data32 := make([]byte, 32)
	cases := []struct {
		name string
		data []byte
		want string // the error text must contain this
	}{
		{"empty file", nil, "header.magic at byte 0: truncated: needs 4 bytes, the file has 0 left"},
		{"wrong magic", []byte("GGML\x03\x00\x00\x00"), `header.magic: "GGML" at byte 0: not a GGUF file`},
		{"truncated version", []byte("GGUF\x03\x00"), "header.version at byte 4: truncated"},
		{"version 0", cat([]byte("GGUF"), u32(0), u64(0), u64(0)), "header.version: 0 at byte 4: invalid GGUF version"},
		{"version 1", cat([]byte("GGUF"), u32(1), u64(0), u64(0)), "header.version: 1 at byte 4: GGUF v1 is not supported"},
		{"version 4", cat([]byte("GGUF"), u32(4), u64(0), u64(0)), "header.version: 4 at byte 4: GGUF version newer than 3"},
		{"big-endian", cat([]byte("GGUF"), []byte{0, 0, 0, 3}, u64(0), u64(0)), "header.version: 50331648 at byte 4: byte-swapped"},
		{"truncated tensor count", cat([]byte("GGUF"), u32(3), u32(0)), "header.tensor_count at byte 8: truncated"},
		{"truncated kv count", cat([]byte("GGUF"), u32(3), u64(0), u32(0)), "header.kv_count at byte 16: truncated"},
		{"tensor count beyond file", header(1<<40, 0), "header.tensor_count: 1099511627776 at byte 8: 1099511627776 tensor infos of at least 24 bytes exceed the 0 bytes left"},
		{"tensor count overflow", header(math.MaxUint64, 0), "header.tensor_count: 18446744073709551615 at byte 8:"},
		{"kv count beyond file", header(0, 3), "header.kv_count: 3 at byte 16: 3 key-value pairs of at least 14 bytes exceed the 0 bytes left"},
		{"truncated key", cat(header(0, 2), kv("a", 0, []byte{1}), u64(7), []byte("abcdef")), "kv 1 key length: 7 at byte 38: string longer than the 6 bytes left"},
		{"key length beyond file", cat(header(0, 1), u64(1<<62), make([]byte, 8)), "kv 0 key length: 4611686018427387904 at byte 24: string longer than the 8 bytes left"},
		{"empty key", cat(file([][]byte{kv("", 0, []byte{1}), kv("k", 0, []byte{1})}, nil, nil), []byte{0}), "kv 0 key at byte 24: empty key"},
		{"unknown value type", file([][]byte{kv("k", 13, make([]byte, 8))}, nil, nil), `kv 0 "k" type: 13 at byte 33: not a GGUF value type`},
		{"truncated value", cat(header(0, 1), kv("k", 10, []byte{1, 2, 3}), make([]byte, 0)), `kv 0 "k" value at byte 37: truncated: needs 8 bytes, the file has 3 left`},
		{"string length beyond file", file([][]byte{kv("k", 8, u64(100), []byte("abc"))}, nil, nil), `kv 0 "k" value length: 100 at byte 37: string longer than the 3 bytes left`},
		{"string length overflow", file([][]byte{kv("k", 8, u64(math.MaxUint64), []byte("abc"))}, nil, nil), `kv 0 "k" value length: 18446744073709551615 at byte 37: string longer`},
		{"array count beyond file", file([][]byte{kv("k", 9, u32(6), u64(1<<61), make([]byte, 16))}, nil, nil), `kv 0 "k" value count: 2305843009213693952 at byte 41: 2305843009213693952 elements of at least 4 bytes exceed the 16 bytes left`},
		{"array count overflow", file([][]byte{kv("k", 9, u32(12), u64(math.MaxUint64), make([]byte, 16))}, nil, nil), `kv 0 "k" value count: 18446744073709551615 at byte 41:`},
		{"array of strings beyond file", file([][]byte{kv("k", 9, u32(8), u64(3), str("a"), str("b"))}, nil, nil), `kv 0 "k" value count: 3 at byte 41: 3 elements of at least 8 bytes exceed the 18 bytes left`},
		{"string in array beyond file", file([][]byte{kv("k", 9, u32(8), u64(2), str("a"), u64(99), []byte("xx"))}, nil, nil), `kv 0 "k" value[1] length: 99 at byte 58: string longer than the 2 bytes left`},
		{"array element type unknown", file([][]byte{kv("k", 9, u32(77), u64(0))}, nil, nil), `kv 0 "k" value element type: 77 at byte 37: not a GGUF value type`},
		{"array nested too deep", file([][]byte{kv("k", 9, nested(9))}, nil, nil), `kv 0 "k" value[0][0][0][0][0][0][0][0] at byte 133: arrays nested more than 8 deep`},
		{"duplicate key", file([][]byte{kv("k", 0, []byte{1}), kv("k", 0, []byte{2})}, nil, nil), `kv 1 "k" key at byte 38: duplicate of kv 0`},
		{"alignment not u32", file([][]byte{kv("general.alignment", 10, u64(32))}, nil, nil), `kv 0 "general.alignment" type: u64 at byte 49: general.alignment must be a u32`},
		{"alignment 0", file([][]byte{kv("general.alignment", 4, u32(0))}, nil, nil), `kv 0 "general.alignment" value: 0 at byte 53: alignment must be a nonzero power of two`},
		{"alignment 48", file([][]byte{kv("general.alignment", 4, u32(48))}, nil, nil), `kv 0 "general.alignment" value: 48 at byte 53: alignment must be a nonzero power of two`},
		{"tensor name beyond file", cat(header(1, 0), u64(1000), make([]byte, 20)), "tensor 0 name length: 1000 at byte 24: string longer than the 20 bytes left"},
		{"duplicate tensor name", file(nil, [][]byte{info("w", 0, 0, 8), info("w", 0, 32, 8)}, make([]byte, 64)), `tensor 1 "w" name at byte 57: duplicate of tensor 0`},
		{"n_dims 5", file(nil, [][]byte{info("w", 0, 0, 1, 1, 1, 1, 1)}, data32), `tensor 0 "w" n_dims: 5 at byte 33: more than GGML_MAX_DIMS = 4`},
		{"dim 0", file(nil, [][]byte{info("w", 0, 0, 8, 0)}, data32), `tensor 0 "w" dims[1]: 0 at byte 45: dimension 0`},
		{"dim negative as int64", file(nil, [][]byte{info("w", 0, 0, 8, 1<<63)}, data32), `tensor 0 "w" dims[1]: -9223372036854775808 at byte 45: negative dimension`},
		{"dims product overflow", file(nil, [][]byte{info("w", 0, 0, 1<<32, 1<<31)}, data32), `tensor 0 "w" dims: [4294967296 2147483648] at byte 37: element count overflows int64`},
		{"byte size overflow", file(nil, [][]byte{info("w", 28, 0, 1<<31, 1<<31)}, data32), `tensor 0 "w" dims: [2147483648 2147483648] at byte 37: byte size overflows int64`},
		{"truncated dims", cat(header(1, 0), str("w"), u32(2), u64(8), u32(0)), `tensor 0 "w" dims[1] at byte 45: truncated`},
		{"unknown type id", file(nil, [][]byte{info("w", 99, 0, 8)}, data32), `tensor 0 "w" type: 99 at byte 45: unknown ggml type id`},
		{"removed type id 4", file(nil, [][]byte{info("w", 4, 0, 32)}, data32), `tensor 0 "w" type: 4 at byte 45: unknown ggml type id`},
		{"row not a multiple of the block", file(nil, [][]byte{info("w", 8, 0, 33)}, data32), `tensor 0 "w" dims[0]: 33 at byte 37: not a multiple of the block size 32 of type Q8_0`},
		{"truncated offset", cat(header(1, 0), str("w"), u32(1), u64(8), u32(0), u32(0)), `tensor 0 "w" offset at byte 49: truncated`},
		{"data section past the end", cat(header(1, 0), w1), `data section: 64 at byte 57: padding to the alignment 32 runs past the end of the file (57 bytes)`},
		{"unaligned offset", file(nil, [][]byte{info("w", 0, 16, 4)}, data32), `tensor 0 "w" offset: 16 at byte 49: not a multiple of the alignment 32`},
		{"offset outside data", file(nil, [][]byte{info("w", 0, 64, 8)}, data32), `tensor 0 "w" offset: 64 at byte 49: 32 bytes of F32 [8] from there run past the end of the data section (32 bytes from byte 64)`},
		{"offset overflow", file(nil, [][]byte{info("w", 0, 1<<63, 8)}, data32), `tensor 0 "w" offset: 9223372036854775808 at byte 49: 32 bytes of F32 [8]`},
		{"size outside data", file(nil, [][]byte{info("w", 0, 0, 8)}, make([]byte, 31)), `tensor 0 "w" offset: 0 at byte 49: 32 bytes of F32 [8] from there run past the end of the data section (31 bytes from byte 64)`},
		{"overlapping tensors", file(nil, [][]byte{info("a", 0, 0, 16), info("b", 0, 32, 8)}, make([]byte, 64)), `tensor 1 "b" offset: 32 at byte 82: overlaps tensor 0 "a" at [0, 64)`},
		{"same offset", file(nil, [][]byte{info("a", 0, 0, 8), info("b", 0, 0, 8)}, data32), `tensor 1 "b" offset: 0 at byte 82: overlaps tensor 0 "a" at [0, 32)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := gguf.Parse(c.data)
			if err == nil {
				t.Fatalf("no error; parsed %d kvs %d tensors", len(f.KVs()), len(f.Tensors()))
			}
			var e *gguf.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v, want *gguf.Error", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n\t%v\nwant it to contain\n\t%s", err, c.want)
			}
			if e.Offset < 0 || e.Offset > int64(len(c.data)) {
				t.Errorf("offset %d outside the %d-byte file", e.Offset, len(c.data))
			}
			t.Log(err)
		})
	}
	// The same files are fine with the fault removed.
	good := [][]byte{
		file([][]byte{kv("k", 0, []byte{1})}, nil, nil),
		file([][]byte{kv("k", 9, nested(8))}, nil, nil),
		file([][]byte{kv("general.alignment", 4, u32(64))}, [][]byte{info("w", 0, 0, 8)}, make([]byte, 32+32)), // data at 128
		file(nil, [][]byte{info("a", 0, 0, 8), info("b", 0, 32, 8)}, make([]byte, 64)),
		file(nil, [][]byte{info("a", 0, 32, 8), info("b", 0, 0, 8)}, make([]byte, 64)), // out of order is fine
		cat([]byte("GGUF"), u32(2), u64(0), u64(0)),                                    // v2
	}
	for i, b := range good {
		if _, err := gguf.Parse(b); err != nil {
			t.Errorf("good file %d: %v", i, err)
		}
	}
}

// TestClaimedCounts: a file that claims 43,690 tensors (as many as its
// 1 MiB could hold) but whose second info is bad must fail without
// allocating for the claim.
func TestClaimedCounts(t *testing.T) {
	data := cat(header(43_690, 0), make([]byte, 1<<20))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := gguf.Parse(data)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), `tensor 1 "" name at byte 48: duplicate of tensor 0`) {
		t.Fatalf("error %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Errorf("Parse allocated %d bytes for a claim it could not keep", n)
	}
}
