package gguf_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/gguf"
	"github.com/lmhead/lmhead/gguf/internal/fixture"
)

// TestGGMLFiles opens the files ggml itself wrote (../testdata/gguf, see
// its README) and checks the metadata, the tensors, and every weight of the
// head against ggml's own to_float output, bit for bit.
func TestGGMLFiles(t *testing.T) {
	paths, err := filepath.Glob("../testdata/gguf/*.gguf")
	if err != nil || len(paths) != 8 {
		t.Fatalf("want the 8 ggml fixtures, have %d (%v)", len(paths), err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var meta struct {
				V, D   int
				Type   string
				Offset int64
			}
			js, err := os.ReadFile(path + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, &meta); err != nil {
				t.Fatal(err)
			}
			if f.Version != 3 || f.Alignment != 32 {
				t.Errorf("version %d alignment %d, want 3 and 32", f.Version, f.Alignment)
			}
			if arch, err := f.Architecture(); err != nil || arch != "llama" {
				t.Errorf("architecture %q, %v", arch, err)
			}
			if v, err := f.Uint("llama.vocab_size"); err != nil || v != 16 {
				t.Errorf("llama.vocab_size %d, %v", v, err)
			}
			if v, err := f.Uint("llama.embedding_length"); err != nil || v != 768 {
				t.Errorf("llama.embedding_length %d, %v", v, err)
			}
			toks, err := f.Strings("tokenizer.ggml.tokens")
			if err != nil || len(toks) != 16 {
				t.Fatalf("tokens %q, %v", toks, err)
			}
			for i, tok := range toks {
				if tok != fmt.Sprintf("<t%d>", i) {
					t.Errorf("token %d = %q", i, tok)
				}
			}
			name := "output.weight"
			if strings.HasPrefix(filepath.Base(path), "tied-") {
				name = "token_embd.weight"
				if _, ok := f.Tensor("output.weight"); ok {
					t.Error("tied file has output.weight")
				}
			}
			head, ok := f.Tensor(name)
			if !ok {
				t.Fatalf("no %s", name)
			}
			if _, ok := f.Tensor("token_embd.weight"); !ok {
				t.Error("no token_embd.weight")
			}
			if f.DataOffset+int64(head.Offset) != meta.Offset {
				t.Errorf("%s at byte %d+%d, the json says %d", name, f.DataOffset, head.Offset, meta.Offset)
			}
			if !reflect.DeepEqual(head.Dims, []uint64{768, 16}) || !strings.EqualFold(head.Type.String(), meta.Type) {
				t.Errorf("%s: dims %v type %v, want [768 16] %s", name, head.Dims, head.Type, meta.Type)
			}
			m, err := f.Matrix(name)
			if err != nil {
				t.Fatal(err)
			}
			if m.Rows() != meta.V || m.Cols() != meta.D || !strings.EqualFold(m.Format().String(), meta.Type) {
				t.Fatalf("matrix %v %dx%d, want %s %dx%d", m.Format(), m.Rows(), m.Cols(), meta.Type, meta.V, meta.D)
			}
			want, err := os.ReadFile(path + ".f32")
			if err != nil {
				t.Fatal(err)
			}
			got := m.Dequantize(make([]float32, m.Rows()*m.Cols()), 0, m.Rows())
			for i, g := range got {
				if w := binary.LittleEndian.Uint32(want[4*i:]); math.Float32bits(g) != w {
					t.Fatalf("weight %d (row %d): %#08x, ggml decoded %#08x", i, i/m.Cols(), math.Float32bits(g), w)
				}
			}
		})
	}
}

// TestHandLaid checks the reader against a file laid out byte by byte from
// the specification, with no help from the writer.
func TestHandLaid(t *testing.T) {
	data := []byte{
		// header (bytes 0..23)
		'G', 'G', 'U', 'F', // magic 0x47 0x47 0x55 0x46
		3, 0, 0, 0, // version 3 (uint32)
		2, 0, 0, 0, 0, 0, 0, 0, // tensor count 2 (uint64)
		3, 0, 0, 0, 0, 0, 0, 0, // kv count 3 (uint64)
		// kv 0 (bytes 24..55): "general.architecture" = str "llama"
		20, 0, 0, 0, 0, 0, 0, 0, // key length 20
		'g', 'e', 'n', 'e', 'r', 'a', 'l', '.', 'a', 'r', 'c', 'h', 'i', 't', 'e', 'c', 't', 'u', 'r', 'e',
		8, 0, 0, 0, // type STRING = 8
		5, 0, 0, 0, 0, 0, 0, 0, // string length 5
		'l', 'l', 'a', 'm', 'a',
		// kv 1 (bytes 69..97): "x" = arr of 2 i16 {-2, 7}
		1, 0, 0, 0, 0, 0, 0, 0, 'x', // key "x"
		9, 0, 0, 0, // type ARRAY = 9
		3, 0, 0, 0, // element type INT16 = 3
		2, 0, 0, 0, 0, 0, 0, 0, // count 2
		0xfe, 0xff, 7, 0, // -2, 7
		// kv 2 (bytes 98..142): "y" = arr of 1 arr of 1 f64 {0.5}
		1, 0, 0, 0, 0, 0, 0, 0, 'y',
		9, 0, 0, 0, // ARRAY
		9, 0, 0, 0, // of ARRAY
		1, 0, 0, 0, 0, 0, 0, 0, // count 1
		12, 0, 0, 0, // of FLOAT64 = 12
		1, 0, 0, 0, 0, 0, 0, 0, // count 1
		0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // 0.5
		// tensor info 0 (bytes 143..183): "w", 2 dims {2, 3}, F32 = 0, offset 0
		1, 0, 0, 0, 0, 0, 0, 0, 'w',
		2, 0, 0, 0, // n_dims 2
		2, 0, 0, 0, 0, 0, 0, 0, // ne[0] = 2 (innermost: columns)
		3, 0, 0, 0, 0, 0, 0, 0, // ne[1] = 3 (rows)
		0, 0, 0, 0, // type F32
		0, 0, 0, 0, 0, 0, 0, 0, // offset 0
		// tensor info 1 (bytes 184..216): "q", 1 dim {32}, Q8_0 = 8, offset 32
		1, 0, 0, 0, 0, 0, 0, 0, 'q',
		1, 0, 0, 0, // n_dims 1
		32, 0, 0, 0, 0, 0, 0, 0, // ne[0] = 32
		8, 0, 0, 0, // type Q8_0
		32, 0, 0, 0, 0, 0, 0, 0, // offset 32
	}
	infosEnd := len(data)
	if infosEnd != 217 {
		t.Fatalf("hand-laid infos end at %d, want 217", infosEnd)
	}
	data = append(data, make([]byte, 224-infosEnd)...) // pad to 224 = 7·32
	// data section at 224: w = 6 f32 1..6 (24 bytes), 8 bytes of padding,
	// then q at 224+32: d = 1.0 (f16 0x3c00), qs = 0, 1, ..., 31.
	for i := 1; i <= 6; i++ {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(i)))
	}
	data = append(data, 0, 0, 0, 0, 0, 0, 0, 0)
	data = append(data, 0x00, 0x3c)
	for i := range 32 {
		data = append(data, byte(i))
	}

	f, err := gguf.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 3 || f.Alignment != 32 || f.DataOffset != 224 {
		t.Fatalf("version %d alignment %d data at %d", f.Version, f.Alignment, f.DataOffset)
	}
	if s, err := f.String("general.architecture"); s != "llama" || err != nil {
		t.Errorf("architecture %q %v", s, err)
	}
	x, _ := f.Value("x")
	if x.Type() != gguf.Array || x.ElemType() != gguf.Int16 || x.Len() != 2 {
		t.Fatalf("x: %v", x)
	}
	if i, _ := x.Index(0).Int(); i != -2 {
		t.Errorf("x[0] = %d", i)
	}
	if !reflect.DeepEqual(x.Any(), []any{int16(-2), int16(7)}) {
		t.Errorf("x = %#v", x.Any())
	}
	y, _ := f.Value("y")
	if !reflect.DeepEqual(y.Any(), []any{[]any{0.5}}) {
		t.Errorf("y = %#v", y.Any())
	}
	w, ok := f.Tensor("w")
	if !ok || !reflect.DeepEqual(w.Dims, []uint64{2, 3}) || w.Type != gguf.TypeF32 || w.Offset != 0 || w.Size != 24 {
		t.Fatalf("w: %+v", w)
	}
	m, err := w.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Dequantize(make([]float32, 6), 0, 3); m.Rows() != 3 || m.Cols() != 2 || !reflect.DeepEqual(got, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("w: %dx%d %v", m.Rows(), m.Cols(), got)
	}
	q, ok := f.Tensor("q")
	if !ok || q.Type != gguf.TypeQ8_0 || q.Offset != 32 || q.Size != 34 || &q.Bytes()[0] != &data[256] {
		t.Fatalf("q: %+v", q)
	}
	m, err = q.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	got := m.Dequantize(make([]float32, 32), 0, 1)
	for i, g := range got {
		if g != float32(i) {
			t.Fatalf("q[%d] = %v", i, g)
		}
	}
}

// TestFixtures checks that the checked-in fixtures are what internal/fixture
// makes (run go generate in gguf/ after changing it), and reads them back.
func TestFixtures(t *testing.T) {
	for _, fx := range fixture.Files() {
		want, err := fx.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", fx.Name)
		have, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("%s differs from what internal/fixture makes: run go generate ./gguf", path)
		}
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.KVs()) != len(fx.KVs) || len(f.Tensors()) != len(fx.Tensors) {
			t.Errorf("%s: %d kvs %d tensors, want %d and %d", path, len(f.KVs()), len(f.Tensors()), len(fx.KVs), len(fx.Tensors))
		}
		for i, kv := range fx.KVs {
			got := f.KVs()[i]
			if got.Key != kv.Key || !sameValue(got.Value.Any(), kv.Value) {
				t.Errorf("%s: kv %d = %q %#v, want %q %#v", path, i, got.Key, got.Value.Any(), kv.Key, kv.Value)
			}
		}
		for _, wt := range fx.Tensors {
			tt, ok := f.Tensor(wt.Name)
			if !ok {
				t.Fatalf("%s: no tensor %q", path, wt.Name)
			}
			if !reflect.DeepEqual(tt.Dims, wt.Dims) || tt.Type != wt.Type || !bytes.Equal(tt.Bytes(), wt.Data) ||
				tt.Offset%uint64(f.Alignment) != 0 {
				t.Errorf("%s: tensor %q: dims %v type %v offset %d, want %v %v", path, wt.Name, tt.Dims, tt.Type, tt.Offset, wt.Dims, wt.Type)
			}
			format, supported := lmhead.FormatOfGGMLType(uint32(wt.Type))
			m, err := tt.Matrix()
			if !supported {
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q type: %v", wt.Name, wt.Type)) {
					t.Errorf("%s: %s Matrix: %v, want an error naming the tensor and type", path, wt.Name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %s: %v", path, wt.Name, err)
			}
			rows := uint64(1)
			for _, d := range wt.Dims[1:] {
				rows *= d
			}
			ref, err := lmhead.NewMatrix(format, int(rows), int(wt.Dims[0]), wt.Data)
			if err != nil {
				t.Fatal(err)
			}
			a := m.Dequantize(make([]float32, m.Rows()*m.Cols()), 0, m.Rows())
			b := ref.Dequantize(make([]float32, ref.Rows()*ref.Cols()), 0, ref.Rows())
			if m.Rows() != ref.Rows() || m.Cols() != ref.Cols() || !sameBits(a, b) {
				t.Errorf("%s: %s: matrix %dx%d differs from %dx%d", path, wt.Name, m.Rows(), m.Cols(), ref.Rows(), ref.Cols())
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// sameValue compares a decoded value with what the writer was given.
func sameValue(got, want any) bool {
	return fmt.Sprint(normalize(got)) == fmt.Sprint(normalize(want))
}

func normalize(v any) any {
	rv := reflect.ValueOf(v)
	if a, ok := v.(interface{ Elems() []any }); ok {
		return normalize(a.Elems())
	}
	switch rv.Kind() {
	case reflect.Slice:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalize(rv.Index(i).Interface())
		}
		return out
	case reflect.Struct: // ggufwrite.Array
		return normalize(rv.FieldByName("Items").Interface())
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

func TestGetters(t *testing.T) {
	f, err := gguf.Open("testdata/all-types.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Alignment != 64 {
		t.Errorf("alignment %d", f.Alignment)
	}
	for key, want := range map[string]uint64{"test.u8": 200, "test.u16": 60000, "test.u32": 4000000000, "test.u64": 1 << 63} {
		if got, err := f.Uint(key); got != want || err != nil {
			t.Errorf("Uint(%s) = %d, %v", key, got, err)
		}
	}
	if _, err := f.Uint("test.i8"); err == nil || !strings.Contains(err.Error(), `"test.i8": i8`) {
		t.Errorf("Uint of a negative i8: %v", err)
	}
	if _, err := f.Int("test.u64"); err == nil {
		t.Error("Int of 2^63: no error")
	}
	if got, err := f.Int("test.i64"); got != -1<<62 || err != nil {
		t.Errorf("Int(test.i64) = %d, %v", got, err)
	}
	if got, err := f.Float("test.f32"); got != 0.25 || err != nil {
		t.Errorf("Float(test.f32) = %v, %v", got, err)
	}
	key, err := f.ArchKey(gguf.SuffixFinalLogitSoftcapping)
	if key != "llama.final_logit_softcapping" || err != nil {
		t.Errorf("ArchKey: %q, %v", key, err)
	}
	if got, err := f.Float(key); got != 30 || err != nil {
		t.Errorf("softcap %v, %v", got, err)
	}
	if got, err := f.Bool("test.bool"); !got || err != nil {
		t.Errorf("Bool = %v, %v", got, err)
	}
	if got, err := f.String("test.string"); got != "héllo" || err != nil {
		t.Errorf("String = %q, %v", got, err)
	}
	if _, err := f.String("test.u8"); err == nil || !strings.Contains(err.Error(), `kv 2 "test.u8": u8 at byte`) {
		t.Errorf("String of a u8: %v", err)
	}
	if _, err := f.Float("nope"); !errors.Is(err, gguf.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if got, err := f.Strings("test.arr.str"); !reflect.DeepEqual(got, []string{"a", "", "ccc"}) || err != nil {
		t.Errorf("Strings = %q, %v", got, err)
	}
	if _, err := f.Strings("test.arr.nested"); err == nil {
		t.Error("Strings of an array of arrays: no error")
	}
	v, _ := f.Value("test.arr.nested")
	if v.Len() != 3 || v.Index(2).Len() != 2 {
		t.Fatalf("nested: %v", v)
	}
	if s, _ := v.Index(2).Strings(); !reflect.DeepEqual(s, []string{"y", "z"}) {
		t.Errorf("nested[2] = %q", s)
	}
	if _, err := f.Matrix("nope"); !errors.Is(err, gguf.ErrNotFound) {
		t.Errorf("missing tensor: %v", err)
	}
	_, err = f.Matrix("q5_K")
	var e *gguf.Error
	if !errors.As(err, &e) || e.Path != "testdata/all-types.gguf" || !strings.Contains(err.Error(), `tensor 7 "q5_K" type: Q5_K at byte`) {
		t.Errorf("Q5_K Matrix: %v", err)
	}
	m, err := f.Matrix("f32.3d")
	if err != nil || m.Rows() != 6 || m.Cols() != 4 {
		t.Errorf("3-D tensor: %dx%d %v", m.Rows(), m.Cols(), err)
	}
	m, err = f.Matrix("f32.1d")
	if err != nil || m.Rows() != 1 || m.Cols() != 7 {
		t.Errorf("1-D tensor: %dx%d %v", m.Rows(), m.Cols(), err)
	}
}

func TestEmpty(t *testing.T) {
	f, err := gguf.Open("testdata/empty.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.KVs()) != 0 || len(f.Tensors()) != 0 || f.DataOffset != 24 {
		t.Errorf("empty: %d kvs %d tensors data at %d", len(f.KVs()), len(f.Tensors()), f.DataOffset)
	}
	if _, err := f.Architecture(); !errors.Is(err, gguf.ErrNotFound) {
		t.Errorf("architecture of an empty file: %v", err)
	}
	f.Close()
	f.Close()
}

func TestOpenErrors(t *testing.T) {
	if _, err := gguf.Open("testdata/missing.gguf"); err == nil {
		t.Error("missing file: no error")
	}
	path := filepath.Join(t.TempDir(), "bad.gguf")
	if err := os.WriteFile(path, []byte("GGUF\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := gguf.Open(path)
	if err == nil || !strings.Contains(err.Error(), "gguf: "+path+": header.version: 1 at byte 4: ") {
		t.Errorf("Open of a v1 file: %v", err)
	}
}
