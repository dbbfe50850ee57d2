//go:build !(amd64 || arm64 || 386 || ppc64le)

package lmhead

// unalignedLoads: an unaligned F32 matrix is decoded, not read in place,
// since this architecture may trap on (or emulate slowly) unaligned loads.
const unalignedLoads = false
