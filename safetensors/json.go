package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// field is one member of a JSON object, with the byte offsets of its key
// and value in the file.
type field struct {
	key            string
	keyOff, valOff int
	raw            json.RawMessage
}

// objectFields returns the members of the JSON object in data, in order;
// base is the file offset of data[0] and what names the object in errors.
// Duplicate keys are an error (encoding/json and serde would keep one
// silently), and so is anything after the object but JSON whitespace.
func objectFields(data []byte, base int, what string) ([]field, error) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, errorf(what, nil, base+off, "invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	start := skipSpace(data, 0)
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(what, data, base, dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errorf(what, nil, base+start, "not a JSON object")
	}
	var fields []field
	seen := make(map[string]int)
	for dec.More() {
		keyOff := skipSep(data, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(what, data, base, dec, err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errorf(what, nil, base+keyOff, "object key is not a string")
		}
		if _, dup := seen[key]; dup {
			return nil, errorf(fmt.Sprintf("%s key %q", what, key), nil, base+keyOff, "duplicate key")
		}
		seen[key] = len(fields)
		valOff := skipSep(data, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(fmt.Sprintf("%s key %q", what, key), data, base, dec, err)
		}
		fields = append(fields, field{key: key, keyOff: base + keyOff, valOff: base + valOff, raw: raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonError(what, data, base, dec, err)
	}
	end := int(dec.InputOffset())
	if rest := skipSpace(data, end); rest != len(data) {
		return nil, errorf(what, nil, base+rest, "data after the JSON object")
	}
	return fields, nil
}

// jsonError turns a decoding error into an *Error at the best offset known.
func jsonError(what string, data []byte, base int, dec *json.Decoder, err error) error {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off = len(data)
		err = errors.New("unexpected end of JSON")
	}
	return errorf(what, nil, base+off, "invalid JSON: %v", err)
}

// skipSpace returns the offset of the first non-whitespace byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipSep skips whitespace and the separators ',' and ':' that
// json.Decoder's InputOffset leaves before the next token.
func skipSep(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r' || b[i] == ',' || b[i] == ':') {
		i++
	}
	return i
}

// uintValue parses a JSON non-negative integer with no fraction or
// exponent, as serde reads a usize.
func uintValue(raw json.RawMessage) (uint64, bool) {
	s := string(raw)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// uintArray parses a JSON array of non-negative integers, returning the
// file offset of each element for errors.
func uintArray(raw json.RawMessage, base int, what string) ([]uint64, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || raw[0] != '[' {
		return nil, errorf(what, clip(raw), base, "want an array of non-negative integers")
	}
	out := make([]uint64, len(elems))
	for i, e := range elems {
		v, ok := uintValue(e)
		if !ok {
			return nil, errorf(what, clip(raw), base, "element %d %s is not a non-negative integer that fits 64 bits", i, clip(e))
		}
		out[i] = v
	}
	return out, nil
}

// clip shortens a JSON value for an error message.
func clip(raw []byte) string {
	if len(raw) > 64 {
		return string(raw[:61]) + "..."
	}
	return string(raw)
}
