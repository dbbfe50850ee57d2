// Package stwrite writes .safetensors files and Hugging Face model folders,
// for tests and fixtures. The header lists "__metadata__" first and then
// the tensors in the order given, their data back to back in that order,
// and is padded with spaces to a multiple of 8 bytes, as the safetensors
// crate's serializer does.
package stwrite

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/lmhead/lmhead/safetensors"
)

// Tensor is one tensor to write.
type Tensor struct {
	Name  string
	Dtype safetensors.Dtype
	Shape []uint64
	// Data holds the tensor's bytes; if it is nil, Fill writes them.
	Data []byte
	// Fill writes exactly the tensor's Size bytes.
	Fill func(w io.Writer) error
}

// Size returns the tensor's byte size from its dtype and shape.
func (t Tensor) Size() (uint64, error) {
	bits := uint64(t.Dtype.Bits())
	if bits == 0 {
		return 0, fmt.Errorf("stwrite: tensor %q: unknown dtype %q", t.Name, t.Dtype)
	}
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	if n*bits%8 != 0 {
		return 0, fmt.Errorf("stwrite: tensor %q: not whole bytes", t.Name)
	}
	return n * bits / 8, nil
}

// Header returns the 8-byte length and the JSON header.
func Header(metadata map[string]string, tensors []Tensor) ([]byte, error) {
	var h bytes.Buffer
	h.WriteByte('{')
	sep := ""
	if metadata != nil {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSON(&h, k)
			h.WriteByte(':')
			writeJSON(&h, metadata[k])
		}
		h.WriteByte('}')
		sep = ","
	}
	offset := uint64(0)
	for _, t := range tensors {
		size, err := t.Size()
		if err != nil {
			return nil, err
		}
		if t.Data != nil && uint64(len(t.Data)) != size {
			return nil, fmt.Errorf("stwrite: tensor %q: %d bytes of data, want %d", t.Name, len(t.Data), size)
		}
		if t.Data == nil && t.Fill == nil {
			return nil, fmt.Errorf("stwrite: tensor %q: neither Data nor Fill", t.Name)
		}
		h.WriteString(sep)
		sep = ","
		writeJSON(&h, t.Name)
		h.WriteString(`:{"dtype":`)
		writeJSON(&h, string(t.Dtype))
		h.WriteString(`,"shape":`)
		shape := t.Shape
		if shape == nil {
			shape = []uint64{}
		}
		writeJSON(&h, shape)
		fmt.Fprintf(&h, `,"data_offsets":[%d,%d]}`, offset, offset+size)
		offset += size
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	return append(out, h.Bytes()...), nil
}

func writeJSON(b *bytes.Buffer, v any) {
	j, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and []uint64 always marshal
	}
	b.Write(j)
}

// Write writes a .safetensors file to w.
func Write(w io.Writer, metadata map[string]string, tensors []Tensor) error {
	h, err := Header(metadata, tensors)
	if err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, t := range tensors {
		if t.Data != nil {
			if _, err := w.Write(t.Data); err != nil {
				return err
			}
			continue
		}
		size, _ := t.Size()
		cw := &countWriter{w: w}
		if err := t.Fill(cw); err != nil {
			return fmt.Errorf("stwrite: tensor %q: %w", t.Name, err)
		}
		if cw.n != size {
			return fmt.Errorf("stwrite: tensor %q: Fill wrote %d bytes, want %d", t.Name, cw.n, size)
		}
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

// Encode returns the .safetensors file as bytes.
func Encode(metadata map[string]string, tensors []Tensor) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, metadata, tensors); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile writes a .safetensors file to path.
func WriteFile(path string, metadata map[string]string, tensors []Tensor) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := Write(w, metadata, tensors); err != nil {
		return err
	}
	return w.Flush()
}

// ShardName returns the name transformers gives shard i (from 1) of n:
// model-00001-of-00002.safetensors.
func ShardName(i, n int) string { return fmt.Sprintf("model-%05d-of-%05d.safetensors", i, n) }

// Folder returns the files of a Hugging Face model folder: config.json
// (config marshalled with encoding/json, indented), and model.safetensors
// for one shard, or model-0000i-of-0000n.safetensors and
// model.safetensors.index.json for several. Names map to contents.
func Folder(config any, shards ...[]Tensor) (map[string][]byte, error) {
	files := make(map[string][]byte)
	cfg, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return nil, err
	}
	files[safetensors.ConfigFile] = append(cfg, '\n')
	if len(shards) == 1 {
		b, err := Encode(map[string]string{"format": "pt"}, shards[0])
		if err != nil {
			return nil, err
		}
		files[safetensors.SingleFile] = b
		return files, nil
	}
	weightMap := make(map[string]string)
	total := uint64(0)
	for i, shard := range shards {
		name := ShardName(i+1, len(shards))
		b, err := Encode(map[string]string{"format": "pt"}, shard)
		if err != nil {
			return nil, err
		}
		files[name] = b
		for _, t := range shard {
			weightMap[t.Name] = name
			size, _ := t.Size()
			total += size
		}
	}
	index := map[string]any{"metadata": map[string]uint64{"total_size": total}, "weight_map": weightMap}
	ib, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return nil, err
	}
	files[safetensors.IndexFile] = append(ib, '\n')
	return files, nil
}

// WriteFolder writes Folder's files into dir.
func WriteFolder(dir string, config any, shards ...[]Tensor) error {
	files, err := Folder(config, shards...)
	if err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
