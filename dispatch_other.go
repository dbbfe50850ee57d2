//go:build purego || !(amd64 || arm64)

package lmhead

// pureTag is said in Use's error, so that a missing level is explained.
const pureTag = ", purego or no assembly for this GOARCH"

// archLevels is empty: this build has only the pure-Go kernels.
var archLevels []level
