package lmhead_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestFormatGeometry checks each format's block geometry against the
// static_asserts of ggml-common.h, laid out here by hand.
func TestFormatGeometry(t *testing.T) {
	for _, c := range []struct {
		f           lmhead.Format
		name        string
		size, bytes int
		ggml        uint32
	}{
		{lmhead.F32, "F32", 1, 4, 0},
		{lmhead.F16, "F16", 1, 2, 1},
		{lmhead.BF16, "BF16", 1, 2, 30},
		{lmhead.Q8_0, "Q8_0", 32, 2 + 32, 8},             // sizeof(ggml_half) + QK8_0
		{lmhead.Q4_0, "Q4_0", 32, 2 + 16, 2},             // sizeof(ggml_half) + QK4_0/2
		{lmhead.Q4_K, "Q4_K", 256, 2*2 + 12 + 128, 12},   // 2*sizeof(ggml_half) + K_SCALE_SIZE + QK_K/2
		{lmhead.Q6_K, "Q6_K", 256, 2 + 16 + 3*256/4, 14}, // sizeof(ggml_half) + QK_K/16 + 3*QK_K/4
	} {
		if c.f.String() != c.name || c.f.BlockSize() != c.size || c.f.BlockBytes() != c.bytes || c.f.GGMLType() != c.ggml {
			t.Errorf("%v: name %q size %d bytes %d ggml %d, want %q %d %d %d", c.f, c.f.String(), c.f.BlockSize(),
				c.f.BlockBytes(), c.f.GGMLType(), c.name, c.size, c.bytes, c.ggml)
		}
		if f, err := lmhead.ParseFormat(strings.ToLower(c.name)); err != nil || f != c.f {
			t.Errorf("ParseFormat(%q) = %v, %v", strings.ToLower(c.name), f, err)
		}
		if f, ok := lmhead.FormatOfGGMLType(c.ggml); !ok || f != c.f {
			t.Errorf("FormatOfGGMLType(%d) = %v, %v", c.ggml, f, ok)
		}
		if rb, err := c.f.RowBytes(3 * c.size); err != nil || rb != 3*c.bytes {
			t.Errorf("%v.RowBytes(%d) = %d, %v", c.f, 3*c.size, rb, err)
		}
		if c.size > 1 {
			if _, err := c.f.RowBytes(c.size + 1); err == nil || !strings.Contains(err.Error(), "multiple of the block size") {
				t.Errorf("%v.RowBytes(%d): err %v, want a block-size error", c.f, c.size+1, err)
			}
		}
	}
	if _, err := lmhead.ParseFormat("q5_K"); err == nil {
		t.Error("ParseFormat(q5_K) succeeded")
	}
	if _, ok := lmhead.FormatOfGGMLType(13); ok {
		t.Error("FormatOfGGMLType(13 = Q5_K) succeeded")
	}
	if got := lmhead.Format(200).String(); got != "Format(200)" {
		t.Errorf("Format(200).String() = %q", got)
	}
}

// TestNewMatrixErrors checks that every bad argument gives an error naming
// it.
func TestNewMatrixErrors(t *testing.T) {
	for _, c := range []struct {
		f          lmhead.Format
		rows, cols int
		n          int
		want       string
	}{
		{lmhead.Format(99), 1, 1, 4, "format"},
		{lmhead.F32, -1, 1, 0, "rows"},
		{lmhead.Q8_0, 2, 33, 68, "cols"},
		{lmhead.Q8_0, 2, 32, 67, "len(data) 67, want rows×RowBytes = 2×34 = 68"},
		{lmhead.Q4_K, 1 << 60, 256, 0, "overflow"},
	} {
		_, err := lmhead.NewMatrix(c.f, c.rows, c.cols, make([]byte, c.n))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewMatrix(%v, %d, %d, [%d]byte): %v, want an error with %q", c.f, c.rows, c.cols, c.n, err, c.want)
		}
	}
	if _, err := lmhead.MatrixF32(make([]float32, 5), 2, 3); err == nil {
		t.Error("MatrixF32 with a wrong length succeeded")
	}
}

// TestHalfToFloat32 checks every binary16 bit pattern against RefHalf,
// which decodes the fields with float64 arithmetic.
func TestHalfToFloat32(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got, want := float64(lmhead.HalfToFloat32(uint16(h))), tu.RefHalf(uint16(h))
		if math.IsNaN(want) {
			if !math.IsNaN(got) {
				t.Fatalf("half %#04x: %v, want NaN", h, got)
			}
			continue
		}
		if got != want || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("half %#04x: %v, want %v", h, got, want)
		}
	}
}

// TestDequantize checks Dequantize bit for bit against the reference
// decoders on random blocks of every format, for ranges of rows, on every
// level, with the blocks at every start offset mod 4 (of a whole
// allocation: the first row starts where the buffer does).
func TestDequantize(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) { testDequantize(t) })
}

func testDequantize(t *testing.T) {
	r := tu.Rand(81)
	same := func(got []float32, want []float64) int {
		for i := range want {
			if float64(got[i]) != want[i] && !(math.IsNaN(want[i]) && math.IsNaN(float64(got[i]))) {
				return i
			}
		}
		return -1
	}
	for _, f := range lmhead.Formats() {
		// Every row length of the Gemv tests, at every start mod 4.
		for _, cols := range formatCols(f) {
			for off := 0; off < 4; off++ {
				rb, _ := f.RowBytes(cols)
				b := tu.AlignedBytes(3*rb, off)
				tu.FillRows(r, f, b)
				m, _ := lmhead.NewMatrix(f, 3, cols, b)
				dst, whole := tu.Offset(3*cols, 1, -3.5)
				got := m.Dequantize(dst, 0, 3)
				if i := tu.Untouched(whole, 1, 3*cols, -3.5); i >= 0 {
					t.Fatalf("%v %d cols at %d: Dequantize wrote outside dst at %d", f, cols, off, i)
				}
				want, _ := tu.RefDecode(f, b)
				if i := same(got, want); i >= 0 {
					t.Fatalf("%v %d cols at %d: weight %d = %v, want %v", f, cols, off, i, got[i], want[i])
				}
			}
		}
		// Every range of rows.
		cols, rows := 2*256, 5
		b := tu.RandRows(r, f, rows, cols)
		m, _ := lmhead.NewMatrix(f, rows, cols, b)
		rb := m.RowBytes()
		for lo := 0; lo <= rows; lo++ {
			for hi := lo; hi <= rows; hi++ {
				dst := make([]float32, (hi-lo)*cols+1)
				dst[len(dst)-1] = 42
				got := m.Dequantize(dst, lo, hi)
				want, _ := tu.RefDecode(f, b[lo*rb:hi*rb])
				if len(got) != len(want) || dst[len(dst)-1] != 42 {
					t.Fatalf("%v rows [%d:%d): %d values (guard %v), want %d", f, lo, hi, len(got), dst[len(dst)-1], len(want))
				}
				if i := same(got, want); i >= 0 {
					t.Fatalf("%v rows [%d:%d) weight %d: %v, want %v", f, lo, hi, i, got[i], want[i])
				}
			}
		}
	}
}

// fixture is one ggml-written GGUF file of testdata/gguf (see its README):
// a 16×768 head at a known offset and ggml's own decoding of it.
type fixture struct {
	name   string
	format lmhead.Format
	rows   int
	cols   int
	data   []byte    // the head's bytes, in place in the file
	f32    []float32 // ggml's to_float of them
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	metas, err := filepath.Glob("testdata/gguf/*.gguf.json")
	if err != nil || len(metas) == 0 {
		t.Fatalf("no fixtures in testdata/gguf: %v", err)
	}
	var out []fixture
	for _, p := range metas {
		var meta struct {
			V, D   int
			Type   string
			Offset int
		}
		js, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &meta); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f, err := lmhead.ParseFormat(meta.Type)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		file, err := os.ReadFile(strings.TrimSuffix(p, ".json"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(strings.TrimSuffix(p, ".json") + ".f32")
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := f.RowBytes(meta.D)
		fx := fixture{name: filepath.Base(p), format: f, rows: meta.V, cols: meta.D,
			data: file[meta.Offset : meta.Offset+meta.V*rb], f32: make([]float32, len(raw)/4)}
		for i := range fx.f32 {
			fx.f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		out = append(out, fx)
	}
	return out
}

// TestDequantizeGGML checks the decoders against ggml itself: the heads of
// the ggml-written fixtures must decode bit for bit to ggml's to_float
// output. This is the witness that is independent of everything in this
// repository, the reference decoders included.
func TestDequantizeGGML(t *testing.T) {
	fixtures := loadFixtures(t)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) { testDequantizeGGML(t, fixtures) })
}

func testDequantizeGGML(t *testing.T, fixtures []fixture) {
	for _, fx := range fixtures {
		m, err := lmhead.NewMatrix(fx.format, fx.rows, fx.cols, fx.data)
		if err != nil {
			t.Fatalf("%s: %v", fx.name, err)
		}
		got := m.Dequantize(make([]float32, fx.rows*fx.cols), 0, fx.rows)
		ref, _ := tu.RefDecode(fx.format, fx.data)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(fx.f32[i]) {
				t.Fatalf("%s: weight %d: Dequantize %v, ggml %v", fx.name, i, got[i], fx.f32[i])
			}
			if float32(ref[i]) != fx.f32[i] {
				t.Fatalf("%s: weight %d: reference decoder %v, ggml %v", fx.name, i, ref[i], fx.f32[i])
			}
		}
	}
}

// TestGemvGGML runs every level's Gemv on the ggml-written heads and checks
// it against a float64 dot over ggml's decoded weights.
func TestGemvGGML(t *testing.T) {
	fixtures := loadFixtures(t)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(82)
		for _, fx := range fixtures {
			m, _ := lmhead.NewMatrix(fx.format, fx.rows, fx.cols, fx.data)
			x := make([]float32, fx.cols)
			tu.Fill(r, x)
			dst := make([]float32, fx.rows)
			m.Gemv(dst, x)
			rb := m.RowBytes()
			for i := range dst {
				ref, bound := tu.RefGemvRow(fx.format, fx.data[i*rb:(i+1)*rb], x)
				w := fx.f32[i*fx.cols : (i+1)*fx.cols]
				var ggml float64
				for j := range w {
					ggml += float64(w[j]) * float64(x[j])
				}
				if math.Abs(ggml-ref) > bound/float64(fx.cols) {
					t.Fatalf("%s row %d: reference %v, over ggml's weights %v", fx.name, i, ref, ggml)
				}
				if !tu.Close(dst[i], ref, bound) {
					t.Fatalf("%s row %d: %v, want %v ± %v", fx.name, i, dst[i], ref, bound)
				}
			}
		}
	})
}
