//go:build ignore

// gen_fixtures writes the fixtures under testdata from internal/fixture.
// Run it with go generate in this directory.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/lmhead/lmhead/safetensors/internal/fixture"
)

func main() {
	files, err := fixture.Files()
	if err != nil {
		log.Fatal(err)
	}
	for name, b := range files {
		path := filepath.Join("testdata", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
