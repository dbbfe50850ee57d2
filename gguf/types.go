package gguf

import "fmt"

// Type is a tensor's element type: the enum ggml_type of ggml.h, the id a
// GGUF tensor info stores.
type Type uint32

// The ggml types, from enum ggml_type in ggml.h (ggml commit d99724f).
// Ids 4, 5, 31–33 and 36–38 belong to removed types and are rejected.
const (
	TypeF32     Type = 0
	TypeF16     Type = 1
	TypeQ4_0    Type = 2
	TypeQ4_1    Type = 3
	TypeQ5_0    Type = 6
	TypeQ5_1    Type = 7
	TypeQ8_0    Type = 8
	TypeQ8_1    Type = 9
	TypeQ2_K    Type = 10
	TypeQ3_K    Type = 11
	TypeQ4_K    Type = 12
	TypeQ5_K    Type = 13
	TypeQ6_K    Type = 14
	TypeQ8_K    Type = 15
	TypeIQ2_XXS Type = 16
	TypeIQ2_XS  Type = 17
	TypeIQ3_XXS Type = 18
	TypeIQ1_S   Type = 19
	TypeIQ4_NL  Type = 20
	TypeIQ3_S   Type = 21
	TypeIQ2_S   Type = 22
	TypeIQ4_XS  Type = 23
	TypeI8      Type = 24
	TypeI16     Type = 25
	TypeI32     Type = 26
	TypeI64     Type = 27
	TypeF64     Type = 28
	TypeIQ1_M   Type = 29
	TypeBF16    Type = 30
	TypeTQ1_0   Type = 34
	TypeTQ2_0   Type = 35
	TypeMXFP4   Type = 39
	TypeNVFP4   Type = 40
	TypeQ1_0    Type = 41
	TypeQ2_0    Type = 42
)

// typeInfo is one entry of ggml's type_traits table (ggml.c): the type's
// name, the weights in a block (blck_size) and the bytes of a block
// (type_size, the sizeof of the block_* struct, whose size ggml-common.h
// pins with a static_assert; the formula is repeated in each comment).
type typeInfo struct {
	name       string
	blockSize  uint64
	blockBytes uint64
}

var types = [...]typeInfo{
	TypeF32:     {"F32", 1, 4},
	TypeF16:     {"F16", 1, 2},
	TypeQ4_0:    {"Q4_0", 32, 18},     // half d + QK4_0/2
	TypeQ4_1:    {"Q4_1", 32, 20},     // 2 half + QK4_1/2
	TypeQ5_0:    {"Q5_0", 32, 22},     // half + u32 qh + QK5_0/2
	TypeQ5_1:    {"Q5_1", 32, 24},     // 2 half + u32 qh + QK5_1/2
	TypeQ8_0:    {"Q8_0", 32, 34},     // half + QK8_0
	TypeQ8_1:    {"Q8_1", 32, 36},     // 2 half + QK8_1
	TypeQ2_K:    {"Q2_K", 256, 84},    // 2 half + QK_K/16 + QK_K/4
	TypeQ3_K:    {"Q3_K", 256, 110},   // half + QK_K/4 + QK_K/8 + 12
	TypeQ4_K:    {"Q4_K", 256, 144},   // 2 half + K_SCALE_SIZE + QK_K/2
	TypeQ5_K:    {"Q5_K", 256, 176},   // 2 half + K_SCALE_SIZE + QK_K/2 + QK_K/8
	TypeQ6_K:    {"Q6_K", 256, 210},   // half + QK_K/16 + 3·QK_K/4
	TypeQ8_K:    {"Q8_K", 256, 292},   // float + QK_K + QK_K/16·int16
	TypeIQ2_XXS: {"IQ2_XXS", 256, 66}, // half + QK_K/8·u16
	TypeIQ2_XS:  {"IQ2_XS", 256, 74},  // half + QK_K/8·u16 + QK_K/32
	TypeIQ3_XXS: {"IQ3_XXS", 256, 98}, // half + 3·(QK_K/8)
	TypeIQ1_S:   {"IQ1_S", 256, 50},   // half + QK_K/8 + QK_K/16
	TypeIQ4_NL:  {"IQ4_NL", 32, 18},   // half + QK4_NL/2
	TypeIQ3_S:   {"IQ3_S", 256, 110},  // half + 13·(QK_K/32) + QK_K/64
	TypeIQ2_S:   {"IQ2_S", 256, 82},   // half + QK_K/4 + QK_K/16
	TypeIQ4_XS:  {"IQ4_XS", 256, 136}, // half + u16 + QK_K/64 + QK_K/2
	TypeI8:      {"I8", 1, 1},
	TypeI16:     {"I16", 1, 2},
	TypeI32:     {"I32", 1, 4},
	TypeI64:     {"I64", 1, 8},
	TypeF64:     {"F64", 1, 8},
	TypeIQ1_M:   {"IQ1_M", 256, 56}, // QK_K/8 + QK_K/16 + QK_K/32
	TypeBF16:    {"BF16", 1, 2},
	TypeTQ1_0:   {"TQ1_0", 256, 54}, // half + QK_K/64 + (QK_K − 4·QK_K/64)/5
	TypeTQ2_0:   {"TQ2_0", 256, 66}, // half + QK_K/4
	TypeMXFP4:   {"MXFP4", 32, 17},  // u8 e + QK_MXFP4/2
	TypeNVFP4:   {"NVFP4", 64, 36},  // u8·(QK_NVFP4/16) + QK_NVFP4/2
	TypeQ1_0:    {"Q1_0", 128, 18},  // half + QK1_0/8
	TypeQ2_0:    {"Q2_0", 64, 18},   // half + QK2_0/4
}

// Known reports whether t is a ggml type that GGUF files may hold: an id
// below GGML_TYPE_COUNT (43) that is not a removed type.
func (t Type) Known() bool { return int(t) < len(types) && types[t].blockSize != 0 }

// String returns the type's name as llama.cpp's tools print it ("F32",
// "Q4_K", "IQ2_XXS"...), or "Type(N)" for an unknown id.
func (t Type) String() string {
	if t.Known() {
		return types[t].name
	}
	return fmt.Sprintf("Type(%d)", uint32(t))
}

// BlockSize returns the weights in one block (ggml_blck_size), 0 for an
// unknown type.
func (t Type) BlockSize() uint64 {
	if t.Known() {
		return types[t].blockSize
	}
	return 0
}

// BlockBytes returns the bytes of one block (ggml_type_size), 0 for an
// unknown type.
func (t Type) BlockBytes() uint64 {
	if t.Known() {
		return types[t].blockBytes
	}
	return 0
}
