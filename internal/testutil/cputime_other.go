//go:build !unix

package testutil

// ThreadCPU returns 0: this platform has no per-thread CPU clock here.
func ThreadCPU() float64 { return 0 }
