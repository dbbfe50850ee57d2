//go:build amd64 || arm64 || 386 || ppc64le

package lmhead

// unalignedLoads: this architecture's loads (and so the Go compiler's
// float32 loads) accept any address.
const unalignedLoads = true
