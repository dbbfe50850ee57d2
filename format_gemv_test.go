package lmhead_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// formatCols returns the row lengths the format tests run: every block
// count from 0 to past the longest unroll of any level (8 vectors of 16
// floats, two Q8_0 blocks per vector pass, one K-quant super-block per
// pass), and a few large ones. Under tu.Short (-short, or an emulator) the
// formats of one weight per block take every length to 70 and then the
// lengths around each multiple of 64 up to 300, instead of every one.
func formatCols(f lmhead.Format) []int {
	bs := f.BlockSize()
	maxBlocks := 300 / bs
	if bs == 256 {
		maxBlocks = 9
	}
	var cols []int
	for b := 0; b <= maxBlocks; b++ {
		if tu.Short() && bs == 1 && b > 70 && (b+1)%64 > 2 {
			continue
		}
		cols = append(cols, b*bs)
	}
	if bs == 32 {
		// Around one and two chunks of 16 blocks: the AVX-512 Q8_0 and
		// Q4_0 kernels convert a full chunk's scales by permutes and a
		// short one's by a gather.
		for _, b := range []int{15, 16, 17, 31, 32, 33} {
			cols = append(cols, b*bs)
		}
	}
	if !tu.Short() {
		cols = append(cols, 4096/bs*bs, (4096+7*256)/bs*bs)
	}
	return cols
}

// formatRows and formatOffsets are the row counts (every remainder of the
// 4-row passes) and the start offsets mod 64 of the format tests; under
// tu.Short, fewer.
func formatRows() []int {
	if tu.Short() {
		return []int{1, 4, 5, 7}
	}
	return []int{1, 2, 3, 4, 5, 7, 9}
}

func formatStartOffsets() []int {
	if tu.Short() {
		return []int{0, 2, 36}
	}
	return []int{0, 2, 4, 32, 34}
}

// checkFormatGemv runs m.Gemv on x into a guarded dst and checks every
// output against the float64 reference over RefDecode's weights.
func checkFormatGemv(t *testing.T, what string, m lmhead.Matrix, x []float32) {
	t.Helper()
	dst, whole := tu.Offset(m.Rows(), 3, 1234.5)
	m.Gemv(dst, x)
	if i := tu.Untouched(whole, 3, m.Rows(), 1234.5); i >= 0 {
		t.Fatalf("%s: Gemv wrote outside dst at %d", what, i)
	}
	rb, data := m.RowBytes(), m.Bytes()
	for i := range dst {
		ref, bound := tu.RefGemvRow(m.Format(), data[i*rb:(i+1)*rb], x)
		if !tu.Close(dst[i], ref, bound) {
			t.Fatalf("%s: dst[%d] = %v, want %v ± %v", what, i, dst[i], ref, bound)
		}
	}
}

// halfStreams runs check once per loop shape of the AVX-512 F16 and BF16
// Gemv (tuning.go): with every row streamed alone and with none, whatever
// this CPU's vendor makes the default; any other format or level once.
func halfStreams(isa lmhead.ISA, f lmhead.Format, check func(shape string)) {
	if isa != lmhead.AVX512 || (f != lmhead.F16 && f != lmhead.BF16) {
		check("")
		return
	}
	for _, n := range []uint64{0, lmhead.HalfStreamNever} {
		restore := lmhead.SetHalfStreamRowBytes(n)
		check(fmt.Sprintf(", rows streamed from %d bytes", n))
		restore()
	}
}

// TestFormatGemv checks every format's Gemv on every level: every column
// count up to a few blocks past the longest unroll, 1 to 9 rows (every row
// remainder of the multi-row passes), and weights that start at 0, 2, 4, 32
// and 34 mod 64.
func TestFormatGemv(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(83)
		for _, f := range lmhead.Formats() {
			for _, cols := range formatCols(f) {
				for _, rows := range formatRows() {
					for _, off := range formatStartOffsets() {
						rb, _ := f.RowBytes(cols)
						buf := tu.AlignedBytes(rows*rb, off)
						tu.FillRows(r, f, buf)
						m, err := lmhead.NewMatrix(f, rows, cols, buf)
						if err != nil {
							t.Fatal(err)
						}
						x := make([]float32, cols)
						tu.Fill(r, x)
						halfStreams(isa, f, func(shape string) {
							checkFormatGemv(t, fmt.Sprintf("%v %dx%d at %d mod 64%s", f, rows, cols, off, shape), m, x)
						})
					}
				}
			}
		}
	})
}

// TestFormatGemvSpecial puts IEEE special values into the F16 and BF16
// weights and into every block scale: NaN, ±Inf, ±0, subnormals and the
// largest finite halves, one block at a time, so a kernel that factors a
// scale out of its block's products must still give the reference's NaN
// or infinity.
func TestFormatGemvSpecial(t *testing.T) {
	halves := []uint16{0x7e00, 0x7c00, 0xfc00, 0x0000, 0x8000, 0x0001, 0x03ff, 0x8001, 0x7bff, 0xfbff, 0x0400}
	bf16s := []uint16{0x7fc0, 0x7f80, 0xff80, 0x0000, 0x8000, 0x0001, 0x007f, 0x8001, 0x7f7f, 0xff7f, 0x0080}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(84)
		for _, f := range lmhead.Formats() {
			bs, bb := f.BlockSize(), f.BlockBytes()
			cols := 4 * max(bs, 64)
			if bs == 32 {
				cols = 40 * bs // two full chunks of 16 blocks and a short one
			}
			rows := 5
			nb := cols / bs
			for si, s := range halves {
				for _, zeroX := range []bool{false, true} {
					b := tu.RandRows(r, f, rows, cols)
					x := make([]float32, cols)
					tu.Fill(r, x)
					if zeroX {
						for j := bs; j < cols; j += 3 {
							x[j] = 0
						}
					}
					// One block (or weight) per row gets the special value,
					// at a different place in each row.
					for row := 0; row < rows; row++ {
						blk := (row*7 + si) % nb
						at := row*cols/bs*bb + blk*bb
						switch f {
						case lmhead.F16:
							binary.LittleEndian.PutUint16(b[at:], s)
						case lmhead.BF16:
							binary.LittleEndian.PutUint16(b[at:], bf16s[si])
						case lmhead.F32:
							binary.LittleEndian.PutUint32(b[at:], math.Float32bits(lmhead.HalfToFloat32(s)))
						default:
							for _, o := range tu.ScaleOffsets(f) {
								binary.LittleEndian.PutUint16(b[at+o:], s)
							}
						}
					}
					m, _ := lmhead.NewMatrix(f, rows, cols, b)
					checkFormatGemv(t, fmt.Sprintf("%v with %#04x (zero x %v)", f, s, zeroX), m, x)
				}
			}
		}
	})
}

// TestFormatGemvHugeX checks tiny and huge activations, up to sums near the
// top of float32's range (where no order of summation overflows), and
// activations near 2¹¹⁵ against the smallest scales (2⁻¹⁴, subnormal
// ones): there the decoded products d·q·x are finite, but a kernel that
// factors d out of a block sums q·x first, which overflows unless it
// guards against it.
func TestFormatGemvHugeX(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(85)
		for _, f := range lmhead.Formats() {
			cols := 2 * max(f.BlockSize(), 64)
			b := tu.RandRows(r, f, 3, cols)
			m, _ := lmhead.NewMatrix(f, 3, cols, b)
			for _, scale := range []float32{1e-30, 1e20, 1e30} {
				x := make([]float32, cols)
				tu.Fill(r, x)
				for j := range x {
					x[j] *= scale
				}
				checkFormatGemv(t, fmt.Sprintf("%v x·%g", f, scale), m, x)
			}
			// Every binary16 scale set to 2⁻¹⁴ (or a subnormal), x up to
			// 2¹¹⁵: |d·q·x| ≤ 2⁻¹⁴·127·2¹¹⁵ < 2¹⁰⁸, a finite sum.
			if len(tu.ScaleOffsets(f)) == 0 {
				continue
			}
			big := tu.RandRows(r, f, 3, cols)
			for i, o := 0, tu.ScaleOffsets(f); i+f.BlockBytes() <= len(big); i += f.BlockBytes() {
				for k, off := range o {
					binary.LittleEndian.PutUint16(big[i+off:], []uint16{0x0400, 0x8400, 0x0200}[(i/f.BlockBytes()+k)%3])
				}
			}
			mb, _ := lmhead.NewMatrix(f, 3, cols, big)
			x := make([]float32, cols)
			tu.Fill(r, x)
			for j := range x {
				x[j] *= 0x1p115
			}
			checkFormatGemv(t, fmt.Sprintf("%v with scales 2⁻¹⁴ and x·2¹¹⁵", f), mb, x)
		}
	})
}

// TestFormatGuardPages runs every format's Gemv and Dequantize with the
// weights, x and dst each flush against a PROT_NONE page, after and before,
// at every block count up to past the longest unroll and every row
// remainder: a kernel that reads or writes one byte too far faults.
func TestFormatGuardPages(t *testing.T) {
	if !tu.GuardPages {
		t.Skip("no mmap on this system: guard pages cannot be placed")
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(86)
		for _, f := range lmhead.Formats() {
			for _, s := range sides {
				for _, cols := range formatCols(f) {
					for _, rows := range []int{1, 4, 5} {
						rb, _ := f.RowBytes(cols)
						w := tu.GuardedBytes(t, rows*rb, s.side)
						tu.FillRows(r, f, w)
						x := tu.Guarded(t, cols, s.side, 0)
						tu.Fill(r, x)
						dst := tu.Guarded(t, rows, s.side, float32(math.NaN()))
						m, err := lmhead.NewMatrix(f, rows, cols, w)
						if err != nil {
							t.Fatal(err)
						}
						halfStreams(isa, f, func(shape string) {
							m.Gemv(dst, x)
							for i := range dst {
								ref, bound := tu.RefGemvRow(f, w[i*rb:(i+1)*rb], x)
								if !tu.Close(dst[i], ref, bound) {
									t.Fatalf("%v %s %dx%d%s: dst[%d]=%v, want %v", f, s.name, rows, cols, shape, i, dst[i], ref)
								}
							}
						})
						dq := tu.Guarded(t, rows*cols, s.side, 0)
						m.Dequantize(dq, 0, rows)
					}
				}
			}
		}
	})
}

// TestFormatGemvPanics checks the size checks of Matrix.Gemv.
func TestFormatGemvPanics(t *testing.T) {
	m, _ := lmhead.NewMatrix(lmhead.Q8_0, 2, 32, make([]byte, 68))
	for _, c := range []struct{ dst, x int }{{1, 32}, {2, 31}, {3, 64}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Gemv with len(dst)=%d, len(x)=%d did not panic", c.dst, c.x)
				}
			}()
			m.Gemv(make([]float32, c.dst), make([]float32, c.x))
		}()
	}
}

// TestFormatGemvAllocs checks that Matrix.Gemv allocates nothing, also
// where it copies x to an aligned stack buffer (40 rows, x at every float
// offset mod 64 bytes, so that most are unaligned).
func TestFormatGemvAllocs(t *testing.T) {
	r := tu.Rand(87)
	for _, f := range lmhead.Formats() {
		for _, s := range []struct{ rows, cols int }{{8, 512}, {40, 512}, {40, 4096}} {
			b := tu.RandRows(r, f, s.rows, s.cols)
			m, _ := lmhead.NewMatrix(f, s.rows, s.cols, b)
			xb, dst := make([]float32, s.cols+16), make([]float32, s.rows)
			for off := 0; off < 16; off++ {
				x := xb[off : off+s.cols]
				if a := testing.AllocsPerRun(10, func() { m.Gemv(dst, x) }); a != 0 {
					t.Errorf("%v %dx%d, x at float %d: Gemv allocates %v times", f, s.rows, s.cols, off, a)
				}
			}
		}
	}
}

// TestFormatGemvUnalignedX runs the quantized formats with x at every
// float offset mod 64 bytes of a few, on enough rows (33) that the amd64
// kernels copy an unaligned x to a 64-byte boundary first, and at row
// lengths in each of that copy's buffer sizes and past the largest
// (8192 floats), where x is read in place.
func TestFormatGemvUnalignedX(t *testing.T) {
	cols := []int{256, 1280, 2048, 3072, 8192, 8448}
	offs := []int{0, 1, 5, 8, 15}
	if tu.Short() {
		cols, offs = []int{1280, 8448}, []int{0, 5}
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(17)
		for _, f := range lmhead.Formats() {
			if f.BlockSize() == 1 {
				continue
			}
			for _, n := range cols {
				m, err := lmhead.NewMatrix(f, 33, n, tu.RandRows(r, f, 33, n))
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]float32, n+16)
				tu.Fill(r, buf)
				for _, off := range offs {
					checkFormatGemv(t, fmt.Sprintf("%v 33x%d, x at float %d", f, n, off), m, buf[off:off+n])
				}
			}
		}
	})
}
