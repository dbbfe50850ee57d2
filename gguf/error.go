package gguf

import "fmt"

// Error is what Parse and Open return for a malformed file: the field that
// is wrong, its value where that helps, the byte offset of the field in the
// file, and what is wrong with it. It prints as
//
//	gguf: tensor 3 "output.weight" offset: 12345 at byte 678: not a multiple of the alignment 32
//
// with the file's path first when Open returned it. A file's errors are
// never panics: every length, count and offset is checked against the
// bytes that remain before it is used.
type Error struct {
	Path   string // the file, when Open returned the error
	Field  string // e.g. `header.version`, `kv 2 "general.alignment"`, `tensor 3 "output.weight" offset`
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
		return fmt.Sprintf("gguf: %s%s: %s at byte %d: %s", path, e.Field, e.Value, e.Offset, e.Msg)
	}
	return fmt.Sprintf("gguf: %s%s at byte %d: %s", path, e.Field, e.Offset, e.Msg)
}

func errorf(field string, value any, off int, format string, args ...any) *Error {
	v := ""
	if value != nil {
		v = fmt.Sprint(value)
	}
	return &Error{Field: field, Value: v, Offset: int64(off), Msg: fmt.Sprintf(format, args...)}
}
