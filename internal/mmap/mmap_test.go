package mmap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	want := []byte("hello, mapping")
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Bytes(), want) {
		t.Fatalf("got %q, want %q", m.Bytes(), want)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	e := filepath.Join(dir, "empty")
	if err := os.WriteFile(e, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err = Open(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Bytes()) != 0 {
		t.Fatalf("empty file: %d bytes", len(m.Bytes()))
	}
	_ = m.Close()

	if _, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file: no error")
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("directory: no error")
	}
}
