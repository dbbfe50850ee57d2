package lmhead

import (
	"fmt"
	"strings"
)

// Format is the encoding of a weight matrix's rows. Every format's byte
// layout is exactly ggml's (and so GGUF's and, for F32, F16 and BF16,
// safetensors'), little-endian, so that a tensor mapped from a checkpoint
// file is used in place: no copy, no repacking.
//
// The block layouts follow ggml-common.h (the block_* structs and their
// static_asserts) and the decoding follows ggml-quants.c
// (dequantize_row_*); each format's constant says which.
type Format uint8

// The weight formats. The quantized ones group a row into blocks of
// [Format.BlockSize] weights, stored in [Format.BlockBytes] bytes each.
const (
	// F32 is IEEE 754 binary32: 4 bytes a weight.
	F32 Format = iota
	// F16 is IEEE 754 binary16 (half precision): 2 bytes a weight.
	F16
	// BF16 is bfloat16, the top 16 bits of a binary32: 2 bytes a weight.
	BF16
	// Q8_0 is ggml's block_q8_0: 32 weights in 34 bytes,
	// {f16 d; int8 qs[32]}; weight j is d·qs[j].
	Q8_0
	// Q4_0 is ggml's block_q4_0: 32 weights in 18 bytes, {f16 d; u8 qs[16]};
	// weight j is d·((qs[j]&0xF)−8) and weight j+16 is d·((qs[j]>>4)−8),
	// for j < 16.
	Q4_0
	// Q4_K is ggml's block_q4_K: 256 weights in 144 bytes,
	// {f16 d, dmin; u8 scales[12]; u8 qs[128]}: eight sub-blocks of 32
	// weights, each with a 6-bit scale and a 6-bit min packed in scales;
	// weight = d·sc·q − dmin·m with a 4-bit q.
	Q4_K
	// Q6_K is ggml's block_q6_K: 256 weights in 210 bytes,
	// {u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d}: sixteen sub-blocks
	// of 16 weights, each with a signed 8-bit scale; weight = d·sc·(q−32)
	// with a 6-bit q split across ql (low 4 bits) and qh (high 2 bits).
	// d comes last.
	Q6_K

	numFormats = iota
)

// formatInfo is one format's name, block geometry and GGML type id.
type formatInfo struct {
	name       string
	blockSize  int    // weights per block
	blockBytes int    // bytes per block
	ggml       uint32 // enum ggml_type in ggml.h
}

var formats = [numFormats]formatInfo{
	F32:  {"F32", 1, 4, 0},
	F16:  {"F16", 1, 2, 1},
	BF16: {"BF16", 1, 2, 30},
	Q8_0: {"Q8_0", 32, 34, 8},
	Q4_0: {"Q4_0", 32, 18, 2},
	Q4_K: {"Q4_K", 256, 144, 12},
	Q6_K: {"Q6_K", 256, 210, 14},
}

// Formats returns every format, F32 first.
func Formats() []Format {
	out := make([]Format, numFormats)
	for i := range out {
		out[i] = Format(i)
	}
	return out
}

// Valid reports whether f is one of the formats this package defines.
func (f Format) Valid() bool { return f < numFormats }

// String returns the format's name as GGUF tools spell it: "F32", "F16",
// "BF16", "Q8_0", "Q4_0", "Q4_K" or "Q6_K".
func (f Format) String() string {
	if f.Valid() {
		return formats[f].name
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the format with the given name, ignoring case.
func ParseFormat(name string) (Format, error) {
	for i, fi := range formats {
		if strings.EqualFold(strings.TrimSpace(name), fi.name) {
			return Format(i), nil
		}
	}
	names := make([]string, numFormats)
	for i, fi := range formats {
		names[i] = fi.name
	}
	return F32, fmt.Errorf("lmhead: unknown format %q (want one of %s)", name, strings.Join(names, ", "))
}

// BlockSize returns how many weights one block holds: 1 for F32, F16 and
// BF16, 32 for Q8_0 and Q4_0, 256 for Q4_K and Q6_K. A row's length must be
// a multiple of it. It panics on an invalid format.
func (f Format) BlockSize() int { return formats[f].blockSize }

// BlockBytes returns the bytes of one block. It panics on an invalid
// format.
func (f Format) BlockBytes() int { return formats[f].blockBytes }

// GGMLType returns the format's enum ggml_type value (ggml.h), the type id
// that GGUF tensor infos store. It panics on an invalid format.
func (f Format) GGMLType() uint32 { return formats[f].ggml }

// FormatOfGGMLType returns the format whose ggml type id is t, and false if
// lmhead does not compute with that type.
func FormatOfGGMLType(t uint32) (Format, bool) {
	for i, fi := range formats {
		if fi.ggml == t {
			return Format(i), true
		}
	}
	return F32, false
}

// RowBytes returns the bytes of a row of cols weights. It returns an error
// if f is invalid, cols is negative or not a multiple of the block size, or
// the size overflows an int.
func (f Format) RowBytes(cols int) (int, error) {
	if !f.Valid() {
		return 0, fmt.Errorf("lmhead: invalid format %v", f)
	}
	fi := formats[f]
	if cols < 0 || cols%fi.blockSize != 0 {
		return 0, fmt.Errorf("lmhead: %v row of %d columns: want a multiple of the block size %d", f, cols, fi.blockSize)
	}
	blocks := cols / fi.blockSize
	if blocks > maxInt/fi.blockBytes {
		return 0, fmt.Errorf("lmhead: %v row of %d columns: size overflows int", f, cols)
	}
	return blocks * fi.blockBytes, nil
}

// rowBytes is RowBytes for arguments already checked.
func (f Format) rowBytes(cols int) int {
	return cols / formats[f].blockSize * formats[f].blockBytes
}

const maxInt = int(^uint(0) >> 1)
