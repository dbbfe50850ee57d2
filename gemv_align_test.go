package lmhead_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
	"unsafe"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// The AVX-512 Gemv splits each row of W at its first cache-line boundary
// (a masked head, aligned body, masked tail), once per matrix when a row is
// a whole number of cache lines and per row otherwise. These tests run Gemv
// with W at every 4-byte start offset mod 64, at row lengths around the
// vector, pair and line sizes, so that every head length meets every tail
// length, and with 1 to 9 rows, every 4-row block and single-row remainder.

// alignCols are the row lengths of the alignment tests: rows shorter than a
// head (1, 3, 15), around one and two vectors, rows of a whole number of
// cache lines below and above the one-row pass's 128 floats, and long rows
// whose length is not a multiple of 16; 4096 and 4112 floats are the
// longest x the AVX-512 kernel copies to an aligned buffer and the
// shortest it reads in place.
var alignCols = []int{1, 3, 8, 15, 16, 17, 24, 31, 32, 33, 47, 48, 64, 100, 112, 127, 128, 129, 144, 160, 255, 256, 300, 4096, 4112}

// alignColsShort is alignCols under an emulator.
var alignColsShort = []int{1, 15, 16, 17, 33, 48, 127, 128, 129, 160}

// nanBits is the guard that surrounds the slices: a kernel that reads a
// guard element into any arithmetic, even multiplied by zero, gives NaN.
const nanBits = 0x7fc00bad

// lineView returns n float32s starting off bytes (any value in 0..63) past
// a 64-byte boundary, with at least 64 bytes of NaN guard on each side, and
// the whole byte buffer, for checking the guard afterwards with guardIntact.
func lineView(n, off int) (s []float32, whole []byte, start int) {
	whole = make([]byte, 4*n+3*64+4)
	for i := 0; i+4 <= len(whole); i += 4 {
		binary.LittleEndian.PutUint32(whole[i:], nanBits)
	}
	base := (64 - int(uintptr(unsafe.Pointer(&whole[0]))%64)) % 64
	start = base + 64 + off
	s = unsafe.Slice((*float32)(unsafe.Pointer(&whole[start])), n)
	return s, whole, start
}

// guardIntact returns the first byte of whole outside [start, start+4n)
// that is no longer part of the NaN fill, or -1.
func guardIntact(whole []byte, start, n int) int {
	var fill [4]byte
	binary.LittleEndian.PutUint32(fill[:], nanBits)
	for i, b := range whole {
		if (i < start || i >= start+4*n) && i/4*4+4 <= len(whole) && b != fill[i%4] {
			return i
		}
	}
	return -1
}

// checkAlignedGemv compares dst with the float64 reference of every row.
func checkAlignedGemv(t *testing.T, name string, dst, w, x []float32) {
	t.Helper()
	cols := len(x)
	for i := range dst {
		ref, bound := tu.DotRef(w[i*cols:(i+1)*cols], x)
		if !tu.Close(dst[i], ref, bound) {
			t.Fatalf("%s: dst[%d]=%v, ref %v ± %v", name, i, dst[i], ref, bound)
		}
	}
}

// TestGemvAlign runs Gemv with W starting at every 4-byte offset mod 64,
// x and dst at offsets that vary with it, every slice surrounded by NaN.
func TestGemvAlign(t *testing.T) {
	cols := alignCols
	if tu.Short() {
		cols = alignColsShort
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(64)
		for off := 0; off < 64; off += 4 {
			for _, c := range cols {
				for rows := 1; rows <= 9; rows++ {
					name := fmt.Sprintf("off=%d %dx%d", off, rows, c)
					w, wb, ws := lineView(rows*c, off)
					x, xb, xs := lineView(c, (off*5+4*c)%64/4*4)
					dst, db, ds := lineView(rows, (off*3)%64/4*4)
					tu.Fill(r, w)
					tu.Fill(r, x)
					lmhead.Gemv(dst, w, x)
					checkAlignedGemv(t, name, dst, w, x)
					for _, g := range []struct {
						what  string
						whole []byte
						start int
						n     int
					}{{"w", wb, ws, len(w)}, {"x", xb, xs, len(x)}, {"dst", db, ds, len(dst)}} {
						if i := guardIntact(g.whole, g.start, g.n); i >= 0 {
							t.Fatalf("%s: byte %d around %s (start %d) changed", name, i, g.what, g.start)
						}
					}
				}
			}
		}
	})
}

// TestGemvAlignMatrix runs the F32 Matrix.Gemv with the weight bytes at
// every byte offset mod 64, the odd ones included: W that is not even
// 4-byte aligned cannot be aligned to a cache line, and must still be
// read correctly and never past its ends.
func TestGemvAlignMatrix(t *testing.T) {
	cols := []int{16, 17, 128, 129, 300}
	if tu.Short() {
		cols = []int{17, 128}
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(65)
		for off := 0; off < 64; off++ {
			for _, c := range cols {
				for _, rows := range []int{1, 4, 5, 9} {
					name := fmt.Sprintf("off=%d %dx%d", off, rows, c)
					whole := make([]byte, 4*rows*c+3*64)
					base := (64 - int(uintptr(unsafe.Pointer(&whole[0]))%64)) % 64
					b := whole[base+64+off : base+64+off+4*rows*c]
					w := make([]float32, rows*c)
					x := make([]float32, c)
					tu.Fill(r, w)
					tu.Fill(r, x)
					for i, v := range w {
						binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
					}
					m, err := lmhead.NewMatrix(lmhead.F32, rows, c, b)
					if err != nil {
						t.Fatal(err)
					}
					dst := make([]float32, rows)
					m.Gemv(dst, x)
					checkAlignedGemv(t, name, dst, w, x)
				}
			}
		}
	})
}

// TestGemvAlignGuardPages runs Gemv on W that ends flush against a
// PROT_NONE page (its start then lies at 4·rows·cols before a page end, so
// at a start offset mod 64 that varies with the shape) and on W that starts
// off bytes after one, at every 4-byte off in 0..60.
func TestGemvAlignGuardPages(t *testing.T) {
	if !tu.GuardPages {
		t.Skip("no mmap on this system: guard pages cannot be placed")
	}
	cols := alignCols
	if tu.Short() {
		cols = alignColsShort
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(66)
		for _, c := range cols {
			for rows := 1; rows <= 9; rows++ {
				n := rows * c
				// after: the end against the page, the start anywhere
				w := tu.Guarded(t, n, tu.After, 0)
				x := tu.Guarded(t, c, tu.After, 0)
				dst := tu.Guarded(t, rows, tu.After, float32(math.NaN()))
				tu.Fill(r, w)
				tu.Fill(r, x)
				lmhead.Gemv(dst, w, x)
				checkAlignedGemv(t, fmt.Sprintf("after %dx%d (w at %d mod 64)", rows, c, uintptr(unsafe.Pointer(&w[0]))%64), dst, w, x)
				// before: the start off bytes after the page
				off := 4 * ((rows*7 + c) % 16)
				b := tu.GuardedBytes(t, 4*n+off, tu.Before)[off:]
				w = unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
				tu.Fill(r, w)
				lmhead.Gemv(dst, w, x)
				checkAlignedGemv(t, fmt.Sprintf("before+%d %dx%d", off, rows, c), dst, w, x)
			}
		}
	})
}
