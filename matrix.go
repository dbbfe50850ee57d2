package lmhead

import (
	"fmt"
	"unsafe"
)

// Matrix is a read-only view of a row-major weight matrix in one [Format]:
// Rows rows of Cols weights, each row [Format.RowBytes] bytes, rows
// contiguous. It holds the bytes in place and never copies them, so a
// tensor that lives in a memory-mapped checkpoint stays there.
//
// The bytes may start at any address: the quantized blocks have no
// alignment (a Q8_0 block is 34 bytes, and safetensors aligns nothing), and
// the kernels assume none.
//
// A Matrix is a small value; copy it freely. The zero value is an empty F32
// matrix.
type Matrix struct {
	format     Format
	rows, cols int
	data       []byte
}

// NewMatrix returns the view of data as a rows×cols matrix of format f.
// It returns an error naming the argument if f is not a valid format, rows
// or cols is negative, cols is not a multiple of f's block size, or len(data)
// is not rows·RowBytes(cols).
func NewMatrix(f Format, rows, cols int, data []byte) (Matrix, error) {
	if !f.Valid() {
		return Matrix{}, fmt.Errorf("lmhead.NewMatrix: format %v: not a valid format", f)
	}
	if rows < 0 {
		return Matrix{}, fmt.Errorf("lmhead.NewMatrix: rows %d, want ≥ 0", rows)
	}
	rb, err := f.RowBytes(cols)
	if err != nil {
		return Matrix{}, fmt.Errorf("lmhead.NewMatrix: cols: %w", err)
	}
	if rb != 0 && rows > maxInt/rb {
		return Matrix{}, fmt.Errorf("lmhead.NewMatrix: %d rows of %d bytes overflow int", rows, rb)
	}
	if len(data) != rows*rb {
		return Matrix{}, fmt.Errorf("lmhead.NewMatrix: len(data) %d, want rows×RowBytes = %d×%d = %d", len(data), rows, rb, rows*rb)
	}
	return Matrix{format: f, rows: rows, cols: cols, data: data}, nil
}

// MatrixF32 returns the F32 view of w, a rows×cols row-major matrix. It
// shares w's memory. It returns an error if rows or cols is negative or
// len(w) != rows·cols.
func MatrixF32(w []float32, rows, cols int) (Matrix, error) {
	if rows < 0 || cols < 0 || (cols != 0 && rows > maxInt/4/cols) || len(w) != rows*cols {
		return Matrix{}, fmt.Errorf("lmhead.MatrixF32: len(w) %d, want rows×cols = %d×%d", len(w), rows, cols)
	}
	return Matrix{format: F32, rows: rows, cols: cols, data: f32Bytes(w)}, nil
}

// Format returns the matrix's weight format.
func (m Matrix) Format() Format { return m.format }

// Rows returns the number of rows.
func (m Matrix) Rows() int { return m.rows }

// Cols returns the number of columns, the weights in each row.
func (m Matrix) Cols() int { return m.cols }

// RowBytes returns the bytes of one row.
func (m Matrix) RowBytes() int { return m.format.rowBytes(m.cols) }

// Bytes returns the matrix's bytes, in place: the caller must not write to
// them.
func (m Matrix) Bytes() []byte { return m.data }

// SliceRows returns the view of rows lo through hi-1. It panics unless
// 0 ≤ lo ≤ hi ≤ Rows().
func (m Matrix) SliceRows(lo, hi int) Matrix {
	if lo < 0 || hi < lo || hi > m.rows {
		panic(fmt.Sprintf("lmhead.Matrix.SliceRows: [%d:%d] of %d rows", lo, hi, m.rows))
	}
	rb := m.RowBytes()
	return Matrix{format: m.format, rows: hi - lo, cols: m.cols, data: m.data[lo*rb : hi*rb : hi*rb]}
}

// F32 returns the weights of an F32 matrix as a []float32 sharing the
// matrix's memory. It returns false for any other format, and for F32 bytes
// that this machine cannot read in place (big-endian, or unaligned on an
// architecture that needs aligned loads).
func (m Matrix) F32() ([]float32, bool) {
	if m.format != F32 || !f32InPlace(m.data) {
		return nil, false
	}
	return bytesF32(m.data), true
}

// Gemv computes dst = M·x with float32 activations:
//
//	dst[i] = Σ_j M[i][j] · x[j]
//
// where M[i][j] is the weight as [Matrix.Dequantize] decodes it. x is never
// rounded to a narrower type: the kernels decode the weights in registers
// and accumulate in float32 with FMA. Each dst[i] carries the error bound of
// [Dot] over the decoded weights (for Q4_K, see [Q4_K]'s note in the
// README's accuracy table).
//
// Gemv panics unless len(dst) == Rows() and len(x) == Cols(). dst must not
// overlap x or the matrix.
func (m Matrix) Gemv(dst, x []float32) {
	if len(dst) != m.rows || len(x) != m.cols {
		panic(fmt.Sprintf("lmhead.Matrix.Gemv: len(dst)=%d, len(x)=%d, want Rows=%d, Cols=%d",
			len(dst), len(x), m.rows, m.cols))
	}
	if len(dst) == 0 {
		return
	}
	if len(x) == 0 {
		clear(dst)
		return
	}
	m.gemvKernel()(dst, m.data, x)
}

// gemvKernel returns the active level's Gemv for m's format.
func (m Matrix) gemvKernel() func(dst []float32, w []byte, x []float32) {
	switch m.format {
	case F16:
		return active.gemvF16
	case BF16:
		return active.gemvBF16
	case Q8_0:
		return active.gemvQ8_0
	case Q4_0:
		return active.gemvQ4_0
	case Q4_K:
		return active.gemvQ4_K
	case Q6_K:
		return active.gemvQ6_K
	}
	return gemvF32Bytes
}

// gemvF32Bytes runs the f32 Gemv over the bytes of an F32 matrix.
func gemvF32Bytes(dst []float32, w []byte, x []float32) {
	if !f32InPlace(w) {
		gemvF32Decode(dst, w, x)
		return
	}
	active.gemv(dst, bytesF32(w), x)
}

// Dequantize decodes rows lo through hi-1 into dst, row-major, and returns
// dst[:(hi-lo)·Cols()]. Every weight is decoded exactly as ggml's
// dequantize_row_* does, in float32: F16 and BF16 and the block scales
// follow IEEE 754 (NaN, ±Inf and subnormals included). It serves embedding
// lookups and tests.
//
// Dequantize panics unless 0 ≤ lo ≤ hi ≤ Rows() and
// len(dst) ≥ (hi-lo)·Cols().
func (m Matrix) Dequantize(dst []float32, lo, hi int) []float32 {
	if lo < 0 || hi < lo || hi > m.rows {
		panic(fmt.Sprintf("lmhead.Matrix.Dequantize: rows [%d:%d] of %d", lo, hi, m.rows))
	}
	n := (hi - lo) * m.cols
	if len(dst) < n {
		panic(fmt.Sprintf("lmhead.Matrix.Dequantize: len(dst)=%d, want ≥ (hi-lo)×Cols = %d×%d = %d", len(dst), hi-lo, m.cols, n))
	}
	dst = dst[:n]
	if n == 0 {
		return dst
	}
	rb := m.RowBytes()
	src := m.data[lo*rb : hi*rb]
	switch m.format {
	case F32:
		dequantizeF32(dst, src)
	case F16:
		active.dequantF16(dst, src)
	case BF16:
		active.dequantBF16(dst, src)
	case Q8_0:
		active.dequantQ8_0(dst, src)
	case Q4_0:
		active.dequantQ4_0(dst, src)
	case Q4_K:
		active.dequantQ4_K(dst, src)
	case Q6_K:
		active.dequantQ6_K(dst, src)
	}
	return dst
}

// f32Bytes returns the bytes of w, sharing its memory.
func f32Bytes(w []float32) []byte {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 4*len(w))
}

// bytesF32 returns b as float32s, sharing its memory. b may be unaligned:
// every architecture with assembly kernels loads float32 from any address,
// and the Go compiler's float loads do too on amd64 and arm64; checkptr
// allows unaligned pointers to pointer-free types. On other architectures an
// unaligned F32 matrix is read through little-endian decoding instead (see
// f32InPlace).
func bytesF32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}
