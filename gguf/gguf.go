// Package gguf reads GGUF files, the checkpoint format of ggml and
// llama.cpp: the metadata key-value pairs and the tensors, whose bytes stay
// in the memory-mapped file and are handed out as lmhead.Matrix views.
//
// The layout (GGUF v3; v2 has the same layout and is accepted too, v1 is
// rejected as ggml does) is, little-endian throughout:
//
//	header:  magic "GGUF" (47 47 55 46), uint32 version, uint64 tensor count, uint64 kv count
//	kv:      string key, uint32 value type, value            (kv count times)
//	info:    string name, uint32 n_dims (≤ 4), n_dims × uint64 ne (ne[0] innermost),
//	         uint32 ggml type, uint64 offset                 (tensor count times)
//	padding: to a multiple of general.alignment (uint32, default 32, a power of two)
//	data:    the tensors, each at data start + offset; offsets are multiples of the alignment
//
// where a string is a uint64 length and that many bytes, and an array value
// is a uint32 element type, a uint64 count and the elements. The checks
// follow ggml's own reader, gguf_init_from_reader in src/gguf.cpp (ggml
// commit d99724f), with three differences: a dimension of 0 is rejected
// (ggml allows empty tensors); arrays may nest, up to MaxArrayDepth (ggml
// rejects nested arrays); and tensors may lie in any order and with gaps,
// as long as they do not overlap (ggml wants them in order, each at the
// padded end of the one before). Tensor names are not limited to ggml's
// GGML_MAX_NAME (64) bytes.
//
// A GGUF file is untrusted input: every count, length, dimension and
// offset is checked against the bytes that remain before it is used, no
// allocation is larger than the file warrants, and a malformed file gives
// an *Error naming the field and its byte offset.
package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/internal/mmap"
)

const (
	// DefaultAlignment is the data alignment when general.alignment is
	// absent (GGUF_DEFAULT_ALIGNMENT in gguf.h).
	DefaultAlignment = 32
	// MaxDims is the most dimensions a tensor may have (GGML_MAX_DIMS).
	MaxDims = 4
	// MaxArrayDepth is how deeply array values may nest: an array of
	// arrays has depth 2. Deeper nesting is an error, not a stack
	// overflow.
	MaxArrayDepth = 8
	// KeyAlignment is the metadata key that sets the alignment.
	KeyAlignment = "general.alignment"
	// KeyArchitecture is the metadata key naming the model architecture
	// ("llama", "gemma2"...); architecture-specific keys start with it.
	KeyArchitecture = "general.architecture"
	// KeyTokens is the vocabulary, an array of strings.
	KeyTokens = "tokenizer.ggml.tokens"
)

// Suffixes of architecture-specific keys, as llama.cpp names them
// (LLM_KV_* in src/llama-arch.cpp, "%s.vocab_size" and so on); ArchKey
// puts the architecture in front.
const (
	SuffixVocabSize             = "vocab_size"
	SuffixEmbeddingLength       = "embedding_length"
	SuffixFinalLogitSoftcapping = "final_logit_softcapping" // Gemma 2
	SuffixLogitScale            = "logit_scale"             // Command-R
)

// ErrNotFound is wrapped by the errors of the metadata getters and of
// File.Matrix for a key or tensor the file does not have.
var ErrNotFound = errors.New("not found")

// KV is one metadata key-value pair.
type KV struct {
	Key   string
	Value Value
	off   int // the byte offset of the pair (its key's length)
	index int
}

// Tensor describes one tensor and holds its bytes.
type Tensor struct {
	// Name is the tensor's name, e.g. "output.weight".
	Name string
	// Dims holds the n_dims dimensions, innermost first (ggml's ne): a
	// matrix of R rows of C weights has Dims {C, R}.
	Dims []uint64
	// Type is the element type.
	Type Type
	// Offset is the byte offset of the tensor in the data section.
	Offset uint64
	// Size is the tensor's byte size, from Dims and Type.
	Size uint64

	index   int
	path    string // the file, for errors
	infoOff int    // the byte offset of the tensor info (its name's length)
	typeOff int    // the byte offset of the type field
	data    []byte
}

// File is a parsed GGUF file. Its methods may be called from several
// goroutines at once.
type File struct {
	// Version is the GGUF version, 2 or 3.
	Version uint32
	// Alignment is the data alignment, general.alignment or 32.
	Alignment int
	// DataOffset is the byte offset in the file of the data section.
	DataOffset int64

	kvs      []KV
	keys     map[string]int
	tensors  []Tensor
	names    map[string]int
	data     []byte
	m        *mmap.File
	path     string
	fileSize int64
}

// Open maps the file at path read-only and parses it. The tensors' bytes
// are slices of the mapping: nothing is read until it is used, and the Go
// heap holds only the metadata's index. Close the File when done. The
// file must not be truncated while it is open: reading a mapped page past
// the new end faults (SIGBUS).
func Open(path string) (*File, error) {
	m, err := mmap.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := Parse(m.Bytes())
	if err != nil {
		_ = m.Close()
		var e *Error
		if errors.As(err, &e) {
			e.Path = path
		}
		return nil, err
	}
	f.m, f.path = m, path
	for i := range f.tensors {
		f.tensors[i].path = path
	}
	return f, nil
}

// Parse parses a GGUF file held in data. The File refers to data in place
// (tensor bytes and metadata values are slices of it): data must not
// change while the File is in use.
func Parse(data []byte) (*File, error) {
	p := &parser{b: data}
	f, err := p.parse()
	if err != nil {
		return nil, err
	}
	f.data = data
	f.fileSize = int64(len(data))
	return f, nil
}

// Close unmaps the file (a File from Parse has nothing to release). The
// tensors' bytes and Matrix views are invalid after Close: using them is
// the caller's bug and faults. Strings and values already returned by the
// getters are copies and stay valid. Close is idempotent.
func (f *File) Close() error {
	if f.m == nil {
		return nil
	}
	m := f.m
	f.m = nil
	return m.Close()
}

// Path returns the path Open was given, or "" for a File from Parse.
func (f *File) Path() string { return f.path }

// KVs returns the metadata pairs in file order. The slice is shared: do not
// modify it.
func (f *File) KVs() []KV { return f.kvs }

// Value returns the value of key.
func (f *File) Value(key string) (Value, bool) {
	i, ok := f.keys[key]
	if !ok {
		return Value{}, false
	}
	return f.kvs[i].Value, true
}

// lookup returns the pair of key or an error wrapping ErrNotFound.
func (f *File) lookup(key string) (*KV, error) {
	i, ok := f.keys[key]
	if !ok {
		return nil, fmt.Errorf("gguf: %skey %q: %w", f.pathPrefix(), key, ErrNotFound)
	}
	return &f.kvs[i], nil
}

func (f *File) pathPrefix() string {
	if f.path == "" {
		return ""
	}
	return f.path + ": "
}

// typeError is the error of a getter for a value of the wrong type.
func (f *File) typeError(kv *KV, want string) error {
	t := kv.Value.typ.String()
	if kv.Value.typ == Array {
		t = fmt.Sprintf("arr of %d %v", kv.Value.n, kv.Value.elem)
	}
	return &Error{Path: f.path, Field: fmt.Sprintf("kv %d %q", kv.index, kv.Key), Value: t, Offset: int64(kv.off),
		Msg: "want " + want}
}

// String returns the string value of key.
func (f *File) String(key string) (string, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return "", err
	}
	s, ok := kv.Value.Text()
	if !ok {
		return "", f.typeError(kv, "a string")
	}
	return s, nil
}

// Uint returns the value of key, of any integer type, as a uint64. A
// negative value is an error.
func (f *File) Uint(key string) (uint64, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	u, ok := kv.Value.Uint()
	if !ok {
		if _, isInt := kv.Value.Int(); isInt {
			return 0, f.typeError(kv, "a non-negative integer, have "+kv.Value.String())
		}
		return 0, f.typeError(kv, "an integer")
	}
	return u, nil
}

// Int returns the value of key, of any integer type, as an int64. A uint64
// above math.MaxInt64 is an error.
func (f *File) Int(key string) (int64, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	i, ok := kv.Value.Int()
	if !ok {
		return 0, f.typeError(kv, "an integer that fits int64")
	}
	return i, nil
}

// Float returns the value of key, a Float32 or Float64 (or an integer), as
// a float64.
func (f *File) Float(key string) (float64, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	x, ok := kv.Value.Float()
	if !ok {
		return 0, f.typeError(kv, "a number")
	}
	return x, nil
}

// Bool returns the bool value of key.
func (f *File) Bool(key string) (bool, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return false, err
	}
	b, ok := kv.Value.Bool()
	if !ok {
		return false, f.typeError(kv, "a bool")
	}
	return b, nil
}

// Strings returns the value of key, an array of strings, e.g.
// tokenizer.ggml.tokens.
func (f *File) Strings(key string) ([]string, error) {
	kv, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	s, ok := kv.Value.Strings()
	if !ok {
		return nil, f.typeError(kv, "an array of strings")
	}
	return s, nil
}

// Architecture returns general.architecture, e.g. "llama". The
// architecture's own keys are named after it: "llama.vocab_size",
// "gemma2.final_logit_softcapping", "command-r.logit_scale".
func (f *File) Architecture() (string, error) { return f.String(KeyArchitecture) }

// ArchKey returns the architecture-specific key with the given suffix:
// ArchKey(SuffixFinalLogitSoftcapping) is "gemma2.final_logit_softcapping"
// in a gemma2 file. It fails if general.architecture is missing or not a
// string.
func (f *File) ArchKey(suffix string) (string, error) {
	arch, err := f.Architecture()
	if err != nil {
		return "", err
	}
	return arch + "." + suffix, nil
}

// Tensors returns the tensors in file order. The slice is shared: do not
// modify it.
func (f *File) Tensors() []Tensor { return f.tensors }

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (*Tensor, bool) {
	i, ok := f.names[name]
	if !ok {
		return nil, false
	}
	return &f.tensors[i], true
}

// Matrix returns the matrix view of the tensor called name: Tensor and
// Tensor.Matrix in one call. The error wraps ErrNotFound if there is no
// such tensor.
func (f *File) Matrix(name string) (lmhead.Matrix, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return lmhead.Matrix{}, fmt.Errorf("gguf: %stensor %q: %w", f.pathPrefix(), name, ErrNotFound)
	}
	return t.Matrix()
}

// Bytes returns the tensor's bytes, a slice of the file: read-only, and
// invalid after the File's Close.
func (t *Tensor) Bytes() []byte { return t.data }

// Elements returns the number of weights, the product of Dims.
func (t *Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Matrix returns the tensor as an lmhead.Matrix sharing its bytes: rows of
// Dims[0] weights, as many rows as the other dimensions multiply to
// (ggml_nrows), so Dims {768, 32000} is 32000 rows of 768. It returns an
// *Error naming the tensor and its type if lmhead does not compute with the
// type (lmhead.FormatOfGGMLType).
func (t *Tensor) Matrix() (lmhead.Matrix, error) {
	format, ok := lmhead.FormatOfGGMLType(uint32(t.Type))
	if !ok {
		names := make([]string, 0, 8)
		for _, f := range lmhead.Formats() {
			names = append(names, f.String())
		}
		return lmhead.Matrix{}, &Error{Path: t.path, Field: fmt.Sprintf("tensor %d %q type", t.index, t.Name), Value: t.Type.String(),
			Offset: int64(t.typeOff), Msg: fmt.Sprintf("lmhead has no Matrix for this type (it computes with %v)", names)}
	}
	cols, rows := uint64(1), uint64(1)
	if len(t.Dims) > 0 {
		cols = t.Dims[0]
		for _, d := range t.Dims[1:] {
			rows *= d
		}
	}
	if cols > math.MaxInt || rows > math.MaxInt {
		return lmhead.Matrix{}, &Error{Path: t.path, Field: fmt.Sprintf("tensor %d %q dims", t.index, t.Name), Value: fmt.Sprint(t.Dims),
			Offset: int64(t.infoOff), Msg: "too many rows or columns for an int on this machine"}
	}
	return lmhead.NewMatrix(format, int(rows), int(cols), t.data)
}

// parser reads a GGUF file from b, keeping the offset of the next byte.
type parser struct {
	b   []byte
	pos int
}

// remain returns the bytes left after pos.
func (p *parser) remain() int { return len(p.b) - p.pos }

// need checks that n more bytes remain for field.
func (p *parser) need(n int, field string) error {
	if n > p.remain() {
		return errorf(field, nil, p.pos, "truncated: needs %d bytes, the file has %d left", n, p.remain())
	}
	return nil
}

func (p *parser) u32(field string) (uint32, error) {
	if err := p.need(4, field); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(p.b[p.pos:])
	p.pos += 4
	return v, nil
}

func (p *parser) u64(field string) (uint64, error) {
	if err := p.need(8, field); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(p.b[p.pos:])
	p.pos += 8
	return v, nil
}

// str reads a string (uint64 length, bytes) and returns its bytes, a slice
// of the file.
func (p *parser) str(field string) ([]byte, error) {
	start := p.pos
	n, err := p.u64(field + " length")
	if err != nil {
		return nil, err
	}
	if n > uint64(p.remain()) {
		return nil, errorf(field+" length", n, start, "string longer than the %d bytes left in the file", p.remain())
	}
	s := p.b[p.pos : p.pos+int(n)]
	p.pos += int(n)
	return s, nil
}

// value skips over a value of type t, checking it. field names the value
// in errors, with idx the indices of the arrays it is nested in (formatted
// only for an error, so that a 150,000-token vocabulary costs no
// formatting); len(idx) is the nesting depth.
func (p *parser) value(t ValueType, field string, idx []int) error {
	name := func() string {
		var b strings.Builder
		b.WriteString(field)
		for _, i := range idx {
			fmt.Fprintf(&b, "[%d]", i)
		}
		return b.String()
	}
	switch t {
	case String:
		start := p.pos
		if p.remain() < 8 {
			return errorf(name()+" length", nil, p.pos, "truncated: needs 8 bytes, the file has %d left", p.remain())
		}
		n := binary.LittleEndian.Uint64(p.b[p.pos:])
		p.pos += 8
		if n > uint64(p.remain()) {
			return errorf(name()+" length", n, start, "string longer than the %d bytes left in the file", p.remain())
		}
		p.pos += int(n)
		return nil
	case Array:
		if len(idx) >= MaxArrayDepth {
			return errorf(name(), nil, p.pos, "arrays nested more than %d deep", MaxArrayDepth)
		}
		start := p.pos
		e, err := p.u32(name() + " element type")
		if err != nil {
			return err
		}
		elem := ValueType(e)
		if elem > Float64 {
			return errorf(name()+" element type", e, start, "not a GGUF value type (0..12)")
		}
		nOff := p.pos
		n, err := p.u64(name() + " count")
		if err != nil {
			return err
		}
		min := elem.minSize()
		if n > uint64(p.remain()/min) {
			return errorf(name()+" count", n, nOff, "%d elements of at least %d bytes exceed the %d bytes left in the file",
				n, min, p.remain())
		}
		if sz := elem.size(); sz != 0 {
			p.pos += int(n) * sz
			return nil
		}
		idx = append(idx, 0)
		for i := range int(n) {
			idx[len(idx)-1] = i
			if err := p.value(elem, field, idx); err != nil {
				return err
			}
		}
		return nil
	}
	if err := p.need(t.size(), field); err != nil {
		return err
	}
	p.pos += t.size()
	return nil
}

// Minimum encoded sizes, to bound the counts in the header before anything
// is allocated for them.
const (
	minKVBytes     = 8 + 1 + 4 + 1 // key length, a non-empty key, type, the smallest value
	minTensorBytes = 8 + 4 + 4 + 8 // name length, n_dims, type, offset
)

func (p *parser) parse() (*File, error) {
	if err := p.need(4, "header.magic"); err != nil {
		return nil, err
	}
	if string(p.b[:4]) != "GGUF" {
		return nil, errorf("header.magic", fmt.Sprintf("%q", p.b[:4]), 0, `not a GGUF file: want "GGUF"`)
	}
	p.pos = 4
	f := &File{}
	version, err := p.u32("header.version")
	if err != nil {
		return nil, err
	}
	// As gguf.cpp: 0 is invalid, a version with zero low 16 bits is a
	// byte-swapped (big-endian) file, v1 is no longer supported, and
	// anything above 3 is from the future.
	switch {
	case version == 0:
		return nil, errorf("header.version", version, 4, "invalid GGUF version")
	case version&0xFFFF == 0:
		return nil, errorf("header.version", version, 4, "byte-swapped: a big-endian GGUF file, which this reader does not read")
	case version == 1:
		return nil, errorf("header.version", version, 4, "GGUF v1 is not supported (want 2 or 3)")
	case version > 3:
		return nil, errorf("header.version", version, 4, "GGUF version newer than 3")
	}
	f.Version = version

	nTensors, err := p.u64("header.tensor_count")
	if err != nil {
		return nil, err
	}
	nKV, err := p.u64("header.kv_count")
	if err != nil {
		return nil, err
	}
	if nTensors > uint64(p.remain()/minTensorBytes) {
		return nil, errorf("header.tensor_count", nTensors, 8,
			"%d tensor infos of at least %d bytes exceed the %d bytes left in the file", nTensors, minTensorBytes, p.remain())
	}
	if nKV > uint64(p.remain()/minKVBytes) {
		return nil, errorf("header.kv_count", nKV, 16,
			"%d key-value pairs of at least %d bytes exceed the %d bytes left in the file", nKV, minKVBytes, p.remain())
	}

	// Key-value pairs. The counts are bounded by the file size, but a big
	// file could still claim millions: the slices grow as pairs and infos
	// actually parse instead of being sized by the claim.
	f.kvs = make([]KV, 0, min(nKV, 1024))
	f.keys = make(map[string]int, min(nKV, 1024))
	alignment, alignOff := uint64(DefaultAlignment), -1
	for i := range int(nKV) {
		off := p.pos
		key, err := p.str(fmt.Sprintf("kv %d key", i))
		if err != nil {
			return nil, err
		}
		if len(key) == 0 {
			return nil, errorf(fmt.Sprintf("kv %d key", i), nil, off, "empty key")
		}
		field := fmt.Sprintf("kv %d %q", i, key)
		if j, dup := f.keys[string(key)]; dup {
			return nil, errorf(field+" key", nil, off, "duplicate of kv %d", j)
		}
		typeOff := p.pos
		t, err := p.u32(field + " type")
		if err != nil {
			return nil, err
		}
		if t > uint32(Float64) {
			return nil, errorf(field+" type", t, typeOff, "not a GGUF value type (0..12)")
		}
		valOff := p.pos
		if err := p.value(ValueType(t), field+" value", nil); err != nil {
			return nil, err
		}
		v := decodeAt(p.b[valOff:p.pos], ValueType(t))
		k := string(key)
		f.keys[k] = len(f.kvs)
		f.kvs = append(f.kvs, KV{Key: k, Value: v, off: off, index: i})
		if k == KeyAlignment {
			// gguf.cpp: general.alignment must be a u32 and a nonzero
			// power of two.
			if v.typ != Uint32 {
				return nil, errorf(field+" type", v.typ, typeOff, "general.alignment must be a u32")
			}
			alignment, alignOff = v.rawUint(), valOff
			if alignment == 0 || alignment&(alignment-1) != 0 {
				return nil, errorf(field+" value", alignment, alignOff, "alignment must be a nonzero power of two")
			}
		}
	}
	f.Alignment = int(alignment)

	// Tensor infos.
	f.tensors = make([]Tensor, 0, min(nTensors, 1024))
	f.names = make(map[string]int, min(nTensors, 1024))
	for i := range int(nTensors) {
		t := Tensor{index: i, infoOff: p.pos}
		name, err := p.str(fmt.Sprintf("tensor %d name", i))
		if err != nil {
			return nil, err
		}
		t.Name = string(name)
		field := fmt.Sprintf("tensor %d %q", i, t.Name)
		if j, dup := f.names[t.Name]; dup {
			return nil, errorf(field+" name", nil, t.infoOff, "duplicate of tensor %d", j)
		}
		nDimsOff := p.pos
		nDims, err := p.u32(field + " n_dims")
		if err != nil {
			return nil, err
		}
		if nDims > MaxDims {
			return nil, errorf(field+" n_dims", nDims, nDimsOff, "more than GGML_MAX_DIMS = %d dimensions", MaxDims)
		}
		t.Dims = make([]uint64, nDims)
		dimsOff := p.pos
		elements := uint64(1)
		for j := range t.Dims {
			off := p.pos
			d, err := p.u64(fmt.Sprintf("%s dims[%d]", field, j))
			if err != nil {
				return nil, err
			}
			if d > math.MaxInt64 {
				return nil, errorf(fmt.Sprintf("%s dims[%d]", field, j), int64(d), off, "negative dimension")
			}
			if d == 0 {
				return nil, errorf(fmt.Sprintf("%s dims[%d]", field, j), d, off, "dimension 0: an empty tensor")
			}
			t.Dims[j] = d
			hi, lo := bits.Mul64(elements, d)
			if hi != 0 || lo > math.MaxInt64 {
				return nil, errorf(field+" dims", fmt.Sprint(t.Dims[:j+1]), dimsOff, "element count overflows int64")
			}
			elements = lo
		}
		t.typeOff = p.pos
		typ, err := p.u32(field + " type")
		if err != nil {
			return nil, err
		}
		t.Type = Type(typ)
		if !t.Type.Known() {
			return nil, errorf(field+" type", typ, t.typeOff, "unknown ggml type id")
		}
		bs, bb := t.Type.BlockSize(), t.Type.BlockBytes()
		ne0 := uint64(1)
		if nDims > 0 {
			ne0 = t.Dims[0]
		}
		if ne0%bs != 0 {
			return nil, errorf(fmt.Sprintf("%s dims[0]", field), ne0, dimsOff,
				"not a multiple of the block size %d of type %v", bs, t.Type)
		}
		hi, size := bits.Mul64(elements/bs, bb)
		if hi != 0 || size > math.MaxInt64 {
			return nil, errorf(field+" dims", fmt.Sprint(t.Dims), dimsOff, "byte size overflows int64")
		}
		t.Size = size
		if t.Offset, err = p.u64(field + " offset"); err != nil {
			return nil, err
		}
		f.names[t.Name] = i
		f.tensors = append(f.tensors, t)
	}

	// The data section starts at the next multiple of the alignment
	// (gguf.cpp seeks there only when there are tensors).
	infosEnd := p.pos
	start := uint64(infosEnd)
	if nTensors > 0 {
		start = (start + alignment - 1) &^ (alignment - 1)
		if start > uint64(len(p.b)) {
			return nil, errorf("data section", start, infosEnd,
				"padding to the alignment %d runs past the end of the file (%d bytes)", alignment, len(p.b))
		}
	}
	f.DataOffset = int64(start)
	dataLen := uint64(len(p.b)) - start
	for i := range f.tensors {
		t := &f.tensors[i]
		offOff := p.offsetField(t)
		field := fmt.Sprintf("tensor %d %q offset", i, t.Name)
		if t.Offset%alignment != 0 {
			return nil, errorf(field, t.Offset, offOff, "not a multiple of the alignment %d", alignment)
		}
		if t.Offset > dataLen || t.Size > dataLen-t.Offset {
			return nil, errorf(field, t.Offset, offOff,
				"%d bytes of %v %v from there run past the end of the data section (%d bytes from byte %d)",
				t.Size, t.Type, t.Dims, dataLen, start)
		}
		a := int(start + t.Offset)
		t.data = p.b[a : a+int(t.Size) : a+int(t.Size)]
	}
	// No two tensors may share bytes.
	order := make([]int, len(f.tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ta, tb := &f.tensors[a], &f.tensors[b]
		if ta.Offset != tb.Offset {
			if ta.Offset < tb.Offset {
				return -1
			}
			return 1
		}
		return a - b
	})
	for k := 1; k < len(order); k++ {
		prev, cur := &f.tensors[order[k-1]], &f.tensors[order[k]]
		if prev.Offset+prev.Size > cur.Offset {
			return nil, errorf(fmt.Sprintf("tensor %d %q offset", cur.index, cur.Name), cur.Offset, p.offsetField(cur),
				"overlaps tensor %d %q at [%d, %d)", prev.index, prev.Name, prev.Offset, prev.Offset+prev.Size)
		}
	}
	return f, nil
}

// offsetField returns the byte offset of t's offset field, which follows
// the type.
func (p *parser) offsetField(t *Tensor) int { return t.typeOff + 4 }
