package lmhead

// The amd64 assembly is generated with avo from _gen, a module of its own so
// that avo never enters the library's dependencies. The drift check in
// .ci/run reruns this and requires no diff.
//go:generate sh -c "cd _gen && go run ./gemv -out ../kernels_amd64.s -stubs ../kernels_amd64_stubs.go -pkg lmhead"
//go:generate sh -c "cd _gen && go run ./softmax -out ../softmax_amd64.s -stubs ../softmax_amd64_stubs.go -pkg lmhead"
//go:generate sh -c "cd _gen && go run ./formats -out ../gemv_formats_amd64.s -stubs ../gemv_formats_amd64_stubs.go -pkg lmhead"
//go:generate sh -c "cd _gen && go run ./kquants -out ../gemv_kquants_amd64.s -stubs ../gemv_kquants_amd64_stubs.go -pkg lmhead"
//go:generate sh -c "cd _gen && go run ./gemm -out ../gemm_amd64.s -stubs ../gemm_amd64_stubs.go -pkg lmhead"
//go:generate sh -c "cd _gen && go run ./dequant -out ../dequant_amd64.s -stubs ../dequant_amd64_stubs.go -pkg lmhead"
