//go:build cgo && linux

package peers

// OpenBLAS through cgo (the calls; BenchmarkGemm in openblas_test.go): cblas_sgemm and cblas_sgemv at the shapes of the
// root BenchmarkGemm (V = 32000, d = 4096), on 1 and 2 threads, next to
// lmhead's Matrix.Gemm in the same run. Debian's libopenblas-dev
// (.ci/run installs it). For the benchmark runs unset OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE, which this machine sets for old builds, so that
// OpenBLAS picks its own kernel; BenchmarkGemm logs the core it reports.

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
extern void openblas_set_num_threads(int);
extern char* openblas_get_corename(void);
extern char* openblas_get_config(void);
*/
import "C"

import "unsafe"

// sgemm computes dst (n×V) = x (n×d) · wᵀ (w V×d) with cblas_sgemm.
func sgemm(dst, w, x []float32, n, V, d int) {
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasTrans, C.blasint(n), C.blasint(V), C.blasint(d),
		1, (*C.float)(unsafe.Pointer(&x[0])), C.blasint(d), (*C.float)(unsafe.Pointer(&w[0])), C.blasint(d),
		0, (*C.float)(unsafe.Pointer(&dst[0])), C.blasint(V))
}

// sgemv computes dst (V) = w (V×d) · x with cblas_sgemv.
func sgemv(dst, w, x []float32, V, d int) {
	C.cblas_sgemv(C.CblasRowMajor, C.CblasNoTrans, C.blasint(V), C.blasint(d), 1,
		(*C.float)(unsafe.Pointer(&w[0])), C.blasint(d), (*C.float)(unsafe.Pointer(&x[0])), 1,
		0, (*C.float)(unsafe.Pointer(&dst[0])), 1)
}

// openblasThreads sets OpenBLAS's thread count.
func openblasThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// openblasCore returns the core OpenBLAS chose and its build config.
func openblasCore() string {
	return C.GoString(C.openblas_get_corename()) + ", " + C.GoString(C.openblas_get_config())
}
