// Package safetensors reads .safetensors files and Hugging Face model
// folders (model.safetensors, or shards listed by
// model.safetensors.index.json, and config.json). The file is
// memory-mapped read-only and a tensor's bytes are a slice of the mapping,
// handed out as an lmhead.Matrix for F32, F16 and BF16.
//
// A .safetensors file is an 8-byte little-endian header length N, a JSON
// header of N bytes, and the data. The header is an object mapping each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]}, the
// offsets counting from byte 8+N, plus an optional "__metadata__" object of
// strings. The checks are those of the reference implementation, the
// safetensors crate (huggingface/safetensors, safetensors/src/tensor.rs,
// SafeTensors::read_metadata and Metadata::validate):
//
//   - N at most 100,000,000 (HeaderTooLarge) and 8+N within the file
//     (InvalidHeaderLength); N need not be a multiple of 8;
//   - the header is UTF-8 JSON, an object (InvalidHeader...);
//   - sorted by data_offsets, each tensor starts where the one before ends,
//     from 0, with end ≥ begin (InvalidOffset): no gaps, no overlaps;
//   - the element count and bit size do not overflow (ValidationOverflow)
//     and make whole bytes (MisalignedSlice);
//   - end − begin is the dtype's size times the element count
//     (TensorInvalidInfo);
//   - the last tensor ends exactly at the end of the file
//     (MetadataIncompleteBuffer).
//
// In addition, duplicate keys anywhere in the JSON are an error (serde and
// encoding/json would silently keep one). Shapes may hold 0 (an empty
// tensor), as in the crate. A malformed file gives an *Error naming the
// field and its byte offset.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/internal/mmap"
)

// MaxHeaderSize is the largest JSON header accepted, as the safetensors
// crate's MAX_HEADER_SIZE.
const MaxHeaderSize = 100_000_000

// ErrNotFound is wrapped by the error of Matrix for a tensor that is not
// there.
var ErrNotFound = errors.New("not found")

// Dtype is a tensor's element type as the header spells it: "F32", "BF16",
// "I8"...
type Dtype string

// The dtypes of the safetensors crate (enum Dtype). Only F32, F16 and BF16
// have an lmhead.Matrix view.
const (
	BOOL        Dtype = "BOOL"
	F4          Dtype = "F4"
	F6_E2M3     Dtype = "F6_E2M3"
	F6_E3M2     Dtype = "F6_E3M2"
	U8          Dtype = "U8"
	I8          Dtype = "I8"
	F8_E5M2     Dtype = "F8_E5M2"
	F8_E4M3     Dtype = "F8_E4M3"
	F8_E8M0     Dtype = "F8_E8M0"
	F8_E4M3FNUZ Dtype = "F8_E4M3FNUZ"
	F8_E5M2FNUZ Dtype = "F8_E5M2FNUZ"
	I16         Dtype = "I16"
	U16         Dtype = "U16"
	F16         Dtype = "F16"
	BF16        Dtype = "BF16"
	I32         Dtype = "I32"
	U32         Dtype = "U32"
	F32         Dtype = "F32"
	C64         Dtype = "C64"
	F64         Dtype = "F64"
	I64         Dtype = "I64"
	U64         Dtype = "U64"
)

var dtypeBits = map[Dtype]uint64{
	BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
	F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32,
	C64: 64, F64: 64, I64: 64, U64: 64,
}

// Bits returns the bits of one element (Dtype::bitsize), and 0 for a dtype
// the crate does not define.
func (d Dtype) Bits() int { return int(dtypeBits[d]) }

// Format returns the lmhead format of F32, F16 and BF16, and false for any
// other dtype.
func (d Dtype) Format() (lmhead.Format, bool) {
	switch d {
	case F32:
		return lmhead.F32, true
	case F16:
		return lmhead.F16, true
	case BF16:
		return lmhead.BF16, true
	}
	return lmhead.F32, false
}

// Tensor describes one tensor and holds its bytes.
type Tensor struct {
	Name  string
	Dtype Dtype
	// Shape is row-major, the last dimension innermost: a matrix of R
	// rows of C weights has Shape [R, C].
	Shape []uint64
	// Begin and End are the data_offsets, relative to the data section.
	Begin, End uint64

	path     string // the file, for errors
	nameOff  int    // the byte offset of the name (the header's key)
	dtypeOff int    // the byte offset of the dtype value
	data     []byte
}

// Bytes returns the tensor's bytes, a slice of the file: read-only, and
// invalid after Close.
func (t *Tensor) Bytes() []byte { return t.data }

// Elements returns the number of elements, the product of Shape.
func (t *Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Matrix returns the tensor as an lmhead.Matrix sharing its bytes: rows of
// the last dimension's length, as many as the leading dimensions multiply
// to (a 1-D tensor is one row). It returns an *Error naming the tensor and
// its dtype unless the dtype is F32, F16 or BF16.
func (t *Tensor) Matrix() (lmhead.Matrix, error) {
	format, ok := t.Dtype.Format()
	if !ok {
		return lmhead.Matrix{}, &Error{Path: t.path, Field: fmt.Sprintf("tensor %q dtype", t.Name), Value: string(t.Dtype),
			Offset: int64(t.dtypeOff), Msg: "lmhead has no Matrix for this dtype (it reads F32, F16 and BF16)"}
	}
	rows, cols := uint64(1), uint64(1)
	if len(t.Shape) > 0 {
		cols = t.Shape[len(t.Shape)-1]
		for _, d := range t.Shape[:len(t.Shape)-1] {
			rows *= d
		}
	}
	if cols > math.MaxInt || rows > math.MaxInt {
		return lmhead.Matrix{}, &Error{Path: t.path, Field: fmt.Sprintf("tensor %q shape", t.Name), Value: fmt.Sprint(t.Shape),
			Offset: int64(t.dtypeOff), Msg: "too many rows or columns for an int on this machine"}
	}
	return lmhead.NewMatrix(format, int(rows), int(cols), t.data)
}

// File is one parsed .safetensors file. Its methods may be called from
// several goroutines at once.
type File struct {
	// Metadata is the header's "__metadata__" object, or nil.
	Metadata map[string]string
	// HeaderSize is N, the JSON header's length; the data section starts
	// at byte 8+N.
	HeaderSize int

	tensors []Tensor // by offset
	names   map[string]int
	m       *mmap.File
	path    string
}

// Open maps the file at path read-only and parses it. Close it when done.
// The file must not be truncated while it is open: reading a mapped page
// past the new end faults (SIGBUS).
func Open(path string) (*File, error) {
	m, err := mmap.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := parse(m.Bytes(), path)
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	f.m = m
	return f, nil
}

// Parse parses a .safetensors file held in data. The File refers to data
// in place: data must not change while the File is in use.
func Parse(data []byte) (*File, error) { return parse(data, "") }

// Close unmaps the file (a File from Parse has nothing to release). The
// tensors' bytes and Matrix views are invalid after Close: using them is
// the caller's bug and faults. Close is idempotent.
func (f *File) Close() error {
	if f.m == nil {
		return nil
	}
	m := f.m
	f.m = nil
	return m.Close()
}

// Path returns the path Open was given, or "".
func (f *File) Path() string { return f.path }

// Tensors returns the tensors in the order of their data. The slice is
// shared: do not modify it.
func (f *File) Tensors() []Tensor { return f.tensors }

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (*Tensor, bool) {
	i, ok := f.names[name]
	if !ok {
		return nil, false
	}
	return &f.tensors[i], true
}

// Matrix returns the matrix view of the tensor called name. The error
// wraps ErrNotFound if there is none.
func (f *File) Matrix(name string) (lmhead.Matrix, error) {
	t, ok := f.Tensor(name)
	if !ok {
		where := ""
		if f.path != "" {
			where = f.path + ": "
		}
		return lmhead.Matrix{}, fmt.Errorf("safetensors: %stensor %q: %w", where, name, ErrNotFound)
	}
	return t.Matrix()
}

func parse(data []byte, path string) (*File, error) {
	f, err := parseData(data, path)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Path = path
		}
		return nil, err
	}
	f.path = path
	return f, nil
}

func parseData(data []byte, path string) (*File, error) {
	if len(data) < 8 {
		return nil, errorf("header length", nil, 0, "truncated: the file has %d bytes, want at least 8 (HeaderTooSmall)", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, errorf("header length", n, 0, "over the %d-byte limit (HeaderTooLarge)", MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, errorf("header length", n, 0, "the header runs past the end of the %d-byte file (InvalidHeaderLength)", len(data))
	}
	hdr := data[8 : 8+n]
	fields, err := objectFields(hdr, 8, "header")
	if err != nil {
		return nil, err
	}
	f := &File{HeaderSize: int(n), names: make(map[string]int, len(fields))}
	f.tensors = make([]Tensor, 0, len(fields))
	valueOffs := make([]int, 0, len(fields)) // data_offsets' byte offset, per tensor
	for _, fl := range fields {
		if fl.key == "__metadata__" {
			if f.Metadata, err = parseMetadata(fl); err != nil {
				return nil, err
			}
			continue
		}
		t, doff, err := parseInfo(fl)
		if err != nil {
			return nil, err
		}
		t.path = path
		f.tensors = append(f.tensors, t)
		valueOffs = append(valueOffs, doff)
	}
	// Sort by data_offsets as the crate does, then require contiguity.
	order := make([]int, len(f.tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ta, tb := &f.tensors[a], &f.tensors[b]
		switch {
		case ta.Begin != tb.Begin:
			return cmpU64(ta.Begin, tb.Begin)
		default:
			return cmpU64(ta.End, tb.End)
		}
	})
	sorted := make([]Tensor, len(f.tensors))
	end := uint64(0)
	dataLen := uint64(len(data)) - 8 - n
	for k, i := range order {
		t := f.tensors[i]
		field := fmt.Sprintf("tensor %q data_offsets", t.Name)
		value := fmt.Sprintf("[%d,%d]", t.Begin, t.End)
		if t.Begin != end {
			what := "leaves a gap after"
			if t.Begin < end {
				what = "overlaps"
			}
			prev := "the start of the data"
			if k > 0 {
				prev = fmt.Sprintf("tensor %q, which ends at %d", sorted[k-1].Name, end)
			}
			return nil, errorf(field, value, valueOffs[i], "%s %s: tensors must be contiguous (InvalidOffset)", what, prev)
		}
		if t.End > dataLen {
			return nil, errorf(field, value, valueOffs[i],
				"runs past the end of the data section (%d bytes from byte %d) (MetadataIncompleteBuffer)", dataLen, 8+n)
		}
		t.data = data[8+n+t.Begin : 8+n+t.End : 8+n+t.End]
		end = t.End
		sorted[k] = t
	}
	if end != dataLen {
		return nil, errorf("data section", nil, int(8+n+end),
			"%d bytes after the last tensor's end, want none (MetadataIncompleteBuffer)", dataLen-end)
	}
	f.tensors = sorted
	for i, t := range f.tensors {
		f.names[t.Name] = i
	}
	return f, nil
}

func cmpU64(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func parseMetadata(fl field) (map[string]string, error) {
	if string(fl.raw) == "null" {
		return nil, nil
	}
	fields, err := objectFields(fl.raw, fl.valOff, "__metadata__")
	if err != nil {
		return nil, err
	}
	md := make(map[string]string, len(fields))
	for _, m := range fields {
		var s string
		if m.raw[0] != '"' || json.Unmarshal(m.raw, &s) != nil {
			return nil, errorf(fmt.Sprintf("__metadata__ %q", m.key), clip(m.raw), m.valOff, "want a string")
		}
		md[m.key] = s
	}
	return md, nil
}

// parseInfo reads one tensor's {"dtype", "shape", "data_offsets"} and
// checks that its size agrees with its offsets. It returns the byte offset
// of data_offsets too.
func parseInfo(fl field) (Tensor, int, error) {
	t := Tensor{Name: fl.key, nameOff: fl.keyOff}
	name := fmt.Sprintf("tensor %q", fl.key)
	fields, err := objectFields(fl.raw, fl.valOff, name)
	if err != nil {
		return t, 0, err
	}
	var have [3]bool
	var shapeOff, offsOff int
	for _, m := range fields {
		switch m.key {
		case "dtype":
			var s string
			if m.raw[0] != '"' || json.Unmarshal(m.raw, &s) != nil {
				return t, 0, errorf(name+" dtype", clip(m.raw), m.valOff, "want a string")
			}
			t.Dtype, t.dtypeOff, have[0] = Dtype(s), m.valOff, true
			if t.Dtype.Bits() == 0 {
				return t, 0, errorf(name+" dtype", s, m.valOff, "unknown dtype")
			}
		case "shape":
			if t.Shape, err = uintArray(m.raw, m.valOff, name+" shape"); err != nil {
				return t, 0, err
			}
			shapeOff, have[1] = m.valOff, true
		case "data_offsets":
			offs, err := uintArray(m.raw, m.valOff, name+" data_offsets")
			if err != nil {
				return t, 0, err
			}
			if len(offs) != 2 {
				return t, 0, errorf(name+" data_offsets", clip(m.raw), m.valOff, "want [begin, end]")
			}
			t.Begin, t.End, offsOff, have[2] = offs[0], offs[1], m.valOff, true
			if t.End < t.Begin {
				return t, 0, errorf(name+" data_offsets", clip(m.raw), m.valOff, "end before begin (InvalidOffset)")
			}
		}
		// Other members are ignored, as serde does by default.
	}
	for i, key := range []string{"dtype", "shape", "data_offsets"} {
		if !have[i] {
			return t, 0, errorf(name, nil, fl.keyOff, "no %q", key)
		}
	}
	nelem := uint64(1)
	for _, d := range t.Shape {
		hi, lo := bits.Mul64(nelem, d)
		if hi != 0 {
			return t, 0, errorf(name+" shape", fmt.Sprint(t.Shape), shapeOff, "element count overflows 64 bits (ValidationOverflow)")
		}
		nelem = lo
	}
	hi, nbits := bits.Mul64(nelem, uint64(t.Dtype.Bits()))
	if hi != 0 {
		return t, 0, errorf(name+" shape", fmt.Sprint(t.Shape), shapeOff, "bit size of %s overflows 64 bits (ValidationOverflow)", t.Dtype)
	}
	if nbits%8 != 0 {
		return t, 0, errorf(name+" shape", fmt.Sprint(t.Shape), shapeOff, "%d elements of %s are not whole bytes (MisalignedSlice)", nelem, t.Dtype)
	}
	if size := nbits / 8; t.End-t.Begin != size {
		return t, 0, errorf(name+" data_offsets", fmt.Sprintf("[%d,%d]", t.Begin, t.End), offsOff,
			"holds %d bytes, but dtype %s and shape %v make %d (TensorInvalidInfo)", t.End-t.Begin, t.Dtype, t.Shape, size)
	}
	return t, offsOff, nil
}
