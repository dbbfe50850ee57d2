package safetensors

//go:generate go run gen_fixtures.go
