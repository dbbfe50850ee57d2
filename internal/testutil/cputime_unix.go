//go:build unix

package testutil

import "golang.org/x/sys/unix"

// ThreadCPU returns the CPU time the calling OS thread has used, in
// seconds, or 0 where the clock is not available. Benchmarks on a machine
// shared with other jobs divide by it instead of the wall time: with the
// goroutine locked to its thread (runtime.LockOSThread) it counts only the
// cycles the benchmark got.
func ThreadCPU() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}
