// Package ggufwrite writes GGUF v3 files, for tests and fixtures: the
// metadata pairs in the order given, then the tensor infos, then the
// tensors, each at the padded end of the one before, the layout ggml's
// gguf_write_to_file produces.
//
// It is a test aid, not a converter: it writes exactly what it is given
// and checks only what it needs to compute the layout.
package ggufwrite

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"

	"github.com/lmhead/lmhead/gguf"
)

// KV is one metadata pair. Value is a Go value of one of the GGUF types:
// uint8, int8, uint16, int16, uint32, int32, float32, bool, string, uint64,
// int64, float64; a slice of one of them (an array); a []any whose elements
// are all of one type (arrays may nest); or an Array.
type KV struct {
	Key   string
	Value any
}

// Array is an array value with an explicit element type, for empty arrays
// and arrays of arrays.
type Array struct {
	Elem  gguf.ValueType
	Items []any
}

// Tensor is one tensor to write.
type Tensor struct {
	Name string
	Dims []uint64 // innermost first
	Type gguf.Type
	// Data holds the tensor's bytes; if it is nil, Fill writes them.
	Data []byte
	// Fill writes exactly the tensor's Size bytes, for tensors too big to
	// hold in memory.
	Fill func(w io.Writer) error
}

// Size returns the tensor's byte size from its dims and type.
func (t Tensor) Size() (uint64, error) {
	if !t.Type.Known() {
		return 0, fmt.Errorf("ggufwrite: tensor %q: unknown type %v", t.Name, t.Type)
	}
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	ne0 := uint64(1)
	if len(t.Dims) > 0 {
		ne0 = t.Dims[0]
	}
	if ne0%t.Type.BlockSize() != 0 {
		return 0, fmt.Errorf("ggufwrite: tensor %q: dims[0] %d not a multiple of %v's block size %d", t.Name, ne0, t.Type, t.Type.BlockSize())
	}
	return n / t.Type.BlockSize() * t.Type.BlockBytes(), nil
}

// Encode returns the GGUF file as bytes.
func Encode(kvs []KV, tensors []Tensor) ([]byte, error) {
	var b bytesWriter
	if err := Write(&b, kvs, tensors); err != nil {
		return nil, err
	}
	return b, nil
}

type bytesWriter []byte

func (b *bytesWriter) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }

// WriteFile writes the GGUF file to path.
func WriteFile(path string, kvs []KV, tensors []Tensor) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := Write(w, kvs, tensors); err != nil {
		return err
	}
	return w.Flush()
}

// Write writes a GGUF v3 file to w. The alignment is the value of a
// general.alignment pair (which must be a uint32), else 32.
func Write(w io.Writer, kvs []KV, tensors []Tensor) error {
	cw := &countWriter{w: w}
	align := uint64(gguf.DefaultAlignment)
	var hdr []byte
	hdr = append(hdr, "GGUF"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, 3)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(tensors)))
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(kvs)))
	for _, kv := range kvs {
		hdr = appendString(hdr, kv.Key)
		t, payload, err := encode(kv.Value)
		if err != nil {
			return fmt.Errorf("ggufwrite: key %q: %w", kv.Key, err)
		}
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(t))
		hdr = append(hdr, payload...)
		if kv.Key == gguf.KeyAlignment {
			a, ok := kv.Value.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return fmt.Errorf("ggufwrite: %s must be a uint32 power of two, have %T %v", kv.Key, kv.Value, kv.Value)
			}
			align = uint64(a)
		}
	}
	sizes := make([]uint64, len(tensors))
	offset := uint64(0)
	for i, t := range tensors {
		size, err := t.Size()
		if err != nil {
			return err
		}
		if t.Data != nil && uint64(len(t.Data)) != size {
			return fmt.Errorf("ggufwrite: tensor %q: %d bytes of data, want %d", t.Name, len(t.Data), size)
		}
		if t.Data == nil && t.Fill == nil {
			return fmt.Errorf("ggufwrite: tensor %q: neither Data nor Fill", t.Name)
		}
		sizes[i] = size
		hdr = appendString(hdr, t.Name)
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(t.Dims)))
		for _, d := range t.Dims {
			hdr = binary.LittleEndian.AppendUint64(hdr, d)
		}
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(t.Type))
		hdr = binary.LittleEndian.AppendUint64(hdr, offset)
		offset = pad(offset+size, align)
	}
	if len(tensors) > 0 {
		hdr = append(hdr, make([]byte, pad(uint64(len(hdr)), align)-uint64(len(hdr)))...)
	}
	if _, err := cw.Write(hdr); err != nil {
		return err
	}
	dataStart := cw.n
	for i, t := range tensors {
		before := cw.n
		if t.Data != nil {
			if _, err := cw.Write(t.Data); err != nil {
				return err
			}
		} else if err := t.Fill(cw); err != nil {
			return fmt.Errorf("ggufwrite: tensor %q: %w", t.Name, err)
		}
		if got := cw.n - before; got != sizes[i] {
			return fmt.Errorf("ggufwrite: tensor %q: Fill wrote %d bytes, want %d", t.Name, got, sizes[i])
		}
		if i < len(tensors)-1 {
			rel := cw.n - dataStart
			if _, err := cw.Write(make([]byte, pad(rel, align)-rel)); err != nil {
				return err
			}
		}
	}
	return nil
}

func pad(n, align uint64) uint64 { return (n + align - 1) / align * align }

type countWriter struct {
	w io.Writer
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// encode returns the GGUF type of v and its encoding.
func encode(v any) (gguf.ValueType, []byte, error) {
	if a, ok := v.(Array); ok {
		return encodeArray(a.Elem, a.Items)
	}
	var b []byte
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		return gguf.Uint8, append(b, x), nil
	case int8:
		return gguf.Int8, append(b, byte(x)), nil
	case uint16:
		return gguf.Uint16, le.AppendUint16(b, x), nil
	case int16:
		return gguf.Int16, le.AppendUint16(b, uint16(x)), nil
	case uint32:
		return gguf.Uint32, le.AppendUint32(b, x), nil
	case int32:
		return gguf.Int32, le.AppendUint32(b, uint32(x)), nil
	case float32:
		return gguf.Float32, le.AppendUint32(b, math.Float32bits(x)), nil
	case bool:
		if x {
			return gguf.Bool, append(b, 1), nil
		}
		return gguf.Bool, append(b, 0), nil
	case string:
		return gguf.String, appendString(b, x), nil
	case uint64:
		return gguf.Uint64, le.AppendUint64(b, x), nil
	case int64:
		return gguf.Int64, le.AppendUint64(b, uint64(x)), nil
	case float64:
		return gguf.Float64, le.AppendUint64(b, math.Float64bits(x)), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return 0, nil, fmt.Errorf("no GGUF type for %T", v)
	}
	items := make([]any, rv.Len())
	for i := range items {
		items[i] = rv.Index(i).Interface()
	}
	var elem gguf.ValueType
	if rv.Type().Elem().Kind() == reflect.Interface {
		if len(items) == 0 {
			return 0, nil, fmt.Errorf("empty []any: use Array to give the element type")
		}
		t, _, err := encode(items[0])
		if err != nil {
			return 0, nil, err
		}
		elem = t
	} else {
		t, _, err := encode(reflect.Zero(rv.Type().Elem()).Interface())
		if err != nil {
			return 0, nil, err
		}
		elem = t
	}
	return encodeArray(elem, items)
}

func encodeArray(elem gguf.ValueType, items []any) (gguf.ValueType, []byte, error) {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, uint32(elem))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(items)))
	for i, it := range items {
		t, payload, err := encode(it)
		if err != nil {
			return 0, nil, fmt.Errorf("element %d: %w", i, err)
		}
		if t != elem {
			return 0, nil, fmt.Errorf("element %d is %v in an array of %v", i, t, elem)
		}
		b = append(b, payload...)
	}
	return gguf.Array, b, nil
}
