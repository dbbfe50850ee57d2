package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// ValueType is the type of a metadata value: enum gguf_type in gguf.h.
type ValueType uint32

// The 13 metadata value types.
const (
	Uint8   ValueType = 0
	Int8    ValueType = 1
	Uint16  ValueType = 2
	Int16   ValueType = 3
	Uint32  ValueType = 4
	Int32   ValueType = 5
	Float32 ValueType = 6
	Bool    ValueType = 7
	String  ValueType = 8 // uint64 length, then that many bytes (UTF-8 by convention, not checked)
	Array   ValueType = 9 // uint32 element type, uint64 count, then the elements
	Uint64  ValueType = 10
	Int64   ValueType = 11
	Float64 ValueType = 12
)

var valueTypeNames = [...]string{"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"}

// String returns the type's name as gguf.cpp's gguf_type_name spells it
// ("u8", "str", "arr"...).
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// size returns the encoded size of a fixed-size type, or 0 for String,
// Array and unknown types.
func (t ValueType) size() int {
	switch t {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	case Uint64, Int64, Float64:
		return 8
	}
	return 0
}

// minSize is the fewest bytes a value of type t takes: its fixed size, 8
// for a string (its length), 12 for an array (its element type and count).
func (t ValueType) minSize() int {
	switch t {
	case String:
		return 8
	case Array:
		return 12
	}
	return t.size()
}

// Value is one metadata value, held in its encoded form as a slice of the
// file: the getters decode it on demand and copy what they return, so a
// returned string or slice outlives Close. Arrays may nest.
type Value struct {
	typ  ValueType
	elem ValueType // the element type of an array
	n    int       // the element count of an array
	raw  []byte    // a scalar's bytes; an array's elements (after type and count)
}

// Type returns the value's type.
func (v Value) Type() ValueType { return v.typ }

// ElemType returns an array's element type. It is meaningful only when
// Type is Array.
func (v Value) ElemType() ValueType { return v.elem }

// Len returns the element count of an array, and 0 for any other value.
func (v Value) Len() int { return v.n }

// Index returns element i of an array. It panics if v is not an array or i
// is out of range. Elements of fixed size are found in O(1); strings and
// nested arrays by walking the elements before i.
func (v Value) Index(i int) Value {
	if v.typ != Array || i < 0 || i >= v.n {
		panic(fmt.Sprintf("gguf.Value.Index(%d) of a %v of length %d", i, v.typ, v.n))
	}
	if sz := v.elem.size(); sz != 0 {
		return Value{typ: v.elem, raw: v.raw[i*sz : (i+1)*sz]}
	}
	pos := 0
	for ; i > 0; i-- {
		pos += encodedLen(v.raw[pos:], v.elem)
	}
	return decodeAt(v.raw[pos:], v.elem)
}

// decodeAt returns the value of type t at the start of b, which the parser
// has already validated.
func decodeAt(b []byte, t ValueType) Value {
	switch t {
	case String:
		n := int(binary.LittleEndian.Uint64(b))
		return Value{typ: String, raw: b[8 : 8+n]}
	case Array:
		elem := ValueType(binary.LittleEndian.Uint32(b))
		n := int(binary.LittleEndian.Uint64(b[4:]))
		end := encodedLen(b, Array)
		return Value{typ: Array, elem: elem, n: n, raw: b[12:end]}
	}
	return Value{typ: t, raw: b[:t.size()]}
}

// encodedLen returns the bytes that the validated value of type t at the
// start of b takes.
func encodedLen(b []byte, t ValueType) int {
	switch t {
	case String:
		return 8 + int(binary.LittleEndian.Uint64(b))
	case Array:
		elem := ValueType(binary.LittleEndian.Uint32(b))
		n := int(binary.LittleEndian.Uint64(b[4:]))
		if sz := elem.size(); sz != 0 {
			return 12 + n*sz
		}
		pos := 12
		for ; n > 0; n-- {
			pos += encodedLen(b[pos:], elem)
		}
		return pos
	}
	return t.size()
}

// Uint returns an integer value of any of the eight integer types as a
// uint64, and false for a negative value or a value of another type.
func (v Value) Uint() (uint64, bool) {
	switch v.typ {
	case Uint8, Uint16, Uint32, Uint64:
		return v.rawUint(), true
	case Int8, Int16, Int32, Int64:
		if i := v.rawInt(); i >= 0 {
			return uint64(i), true
		}
	}
	return 0, false
}

// Int returns an integer value of any of the eight integer types as an
// int64, and false for a uint64 above math.MaxInt64 or a value of another
// type.
func (v Value) Int() (int64, bool) {
	switch v.typ {
	case Uint8, Uint16, Uint32, Uint64:
		if u := v.rawUint(); u <= math.MaxInt64 {
			return int64(u), true
		}
	case Int8, Int16, Int32, Int64:
		return v.rawInt(), true
	}
	return 0, false
}

// Float returns a Float32 or Float64 value as a float64 (exactly), and an
// integer value converted to float64. It returns false for a string, bool
// or array.
func (v Value) Float() (float64, bool) {
	switch v.typ {
	case Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(v.raw))), true
	case Float64:
		return math.Float64frombits(binary.LittleEndian.Uint64(v.raw)), true
	case Uint8, Uint16, Uint32, Uint64:
		return float64(v.rawUint()), true
	case Int8, Int16, Int32, Int64:
		return float64(v.rawInt()), true
	}
	return 0, false
}

// Bool returns a Bool value: false for the byte 0, true for any other
// (as gguf.cpp reads it).
func (v Value) Bool() (bool, bool) {
	if v.typ != Bool {
		return false, false
	}
	return v.raw[0] != 0, true
}

// Text returns a String value, copied out of the file.
func (v Value) Text() (string, bool) {
	if v.typ != String {
		return "", false
	}
	return string(v.raw), true
}

// Strings returns an array of strings, each copied out of the file.
func (v Value) Strings() ([]string, bool) {
	if v.typ != Array || v.elem != String {
		return nil, false
	}
	out := make([]string, v.n)
	pos := 0
	for i := range out {
		n := int(binary.LittleEndian.Uint64(v.raw[pos:]))
		out[i] = string(v.raw[pos+8 : pos+8+n])
		pos += 8 + n
	}
	return out, true
}

// Any returns the value as a Go value: uint8, int8, uint16, int16, uint32,
// int32, float32, bool, string, uint64, int64 or float64 for a scalar, and
// a []any of the elements for an array.
func (v Value) Any() any {
	switch v.typ {
	case Uint8:
		return v.raw[0]
	case Int8:
		return int8(v.raw[0])
	case Uint16:
		return binary.LittleEndian.Uint16(v.raw)
	case Int16:
		return int16(binary.LittleEndian.Uint16(v.raw))
	case Uint32:
		return binary.LittleEndian.Uint32(v.raw)
	case Int32:
		return int32(binary.LittleEndian.Uint32(v.raw))
	case Float32:
		return math.Float32frombits(binary.LittleEndian.Uint32(v.raw))
	case Bool:
		return v.raw[0] != 0
	case String:
		return string(v.raw)
	case Uint64:
		return binary.LittleEndian.Uint64(v.raw)
	case Int64:
		return int64(binary.LittleEndian.Uint64(v.raw))
	case Float64:
		return math.Float64frombits(binary.LittleEndian.Uint64(v.raw))
	case Array:
		out := make([]any, v.n)
		pos := 0
		for i := range out {
			e := decodeAt(v.raw[pos:], v.elem)
			out[i] = e.Any()
			pos += encodedLen(v.raw[pos:], v.elem)
		}
		return out
	}
	return nil
}

// String formats the value for people: a scalar as Go prints it, a string
// quoted, an array as its element type and length.
func (v Value) String() string {
	switch v.typ {
	case String:
		return fmt.Sprintf("%q", v.raw)
	case Array:
		return fmt.Sprintf("[%d × %v]", v.n, v.elem)
	}
	return fmt.Sprint(v.Any())
}

func (v Value) rawUint() uint64 {
	switch len(v.raw) {
	case 1:
		return uint64(v.raw[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(v.raw))
	case 4:
		return uint64(binary.LittleEndian.Uint32(v.raw))
	}
	return binary.LittleEndian.Uint64(v.raw)
}

func (v Value) rawInt() int64 {
	switch len(v.raw) {
	case 1:
		return int64(int8(v.raw[0]))
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(v.raw)))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(v.raw)))
	}
	return int64(binary.LittleEndian.Uint64(v.raw))
}
