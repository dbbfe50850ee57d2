package gguf

//go:generate go run gen_fixtures.go
