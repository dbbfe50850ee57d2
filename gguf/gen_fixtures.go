//go:build ignore

// gen_fixtures writes the fixtures under testdata from
// internal/fixture. Run it with go generate in this directory.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/lmhead/lmhead/gguf/internal/fixture"
)

func main() {
	for _, f := range fixture.Files() {
		b, err := f.Bytes()
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", f.Name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
