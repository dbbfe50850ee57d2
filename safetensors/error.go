package safetensors

import "fmt"

// Error is what Parse, Open and OpenModel return for malformed input: the
// field that is wrong, its value where that helps, the byte offset of the
// field in the file, and what is wrong with it. It prints as
//
//	safetensors: model.safetensors: tensor "lm_head.weight" data_offsets: [0,96] at byte 64: ...
//
// (the path only when a file was opened). Offsets in the JSON header count
// from the start of the file, so the header's first byte is byte 8.
type Error struct {
	Path   string // the file, when one was opened
	Field  string // e.g. `header length`, `tensor "lm_head.weight" dtype`, `weight_map "x"`
	Value  string // the field's value as read, or ""
	Offset int64  // the byte offset of the field in the file
	Msg    string // what is wrong
}

func (e *Error) Error() string {
	path := ""
	if e.Path != "" {
		path = e.Path + ": "
	}
	if e.Value != "" {
		return fmt.Sprintf("safetensors: %s%s: %s at byte %d: %s", path, e.Field, e.Value, e.Offset, e.Msg)
	}
	return fmt.Sprintf("safetensors: %s%s at byte %d: %s", path, e.Field, e.Offset, e.Msg)
}

func errorf(field string, value any, off int, format string, args ...any) *Error {
	v := ""
	if value != nil {
		v = fmt.Sprint(value)
	}
	return &Error{Field: field, Value: v, Offset: int64(off), Msg: fmt.Sprintf(format, args...)}
}
