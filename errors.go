package renoflow

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorCode classifies a domain error so each edge (HTTP, Temporal) can map it once.
type ErrorCode string

// Error codes used across the domain; their strings are stable (they travel as Temporal
// application error types).
const (
	CodeInvalid      ErrorCode = "invalid"      // bad input: names each bad field
	CodeConflict     ErrorCode = "conflict"     // the request clashes with the current state (duplicate filing, out-of-order milestone)
	CodeNotFound     ErrorCode = "not_found"    // no such customer, task, staff member
	CodeForbidden    ErrorCode = "forbidden"    // the actor's role may not do this
	CodeUnauthorized ErrorCode = "unauthorized" // no valid session
	CodeUnavailable  ErrorCode = "unavailable"  // a backing service did not answer
	CodeInternal     ErrorCode = "internal"     // a defect
)

// FieldError names one bad input field and says what is wrong with it (Chinese first).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a domain error: a code, a message for people (Chinese first) and, for invalid
// input, every bad field.
type Error struct {
	Code    ErrorCode      `json:"code"`
	Message string         `json:"message"`
	Fields  []FieldError   `json:"fields,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

// Error returns the message followed by each bad field.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+"："+f.Message)
	}
	return e.Message + "（" + strings.Join(parts, "；") + "）"
}

// Names reports whether e names field among its bad fields.
func (e *Error) Names(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Errorf builds a domain error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the first domain error in err's chain, or CodeInternal.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Problems collects bad fields while an input is checked; Err returns nil when none.
type Problems struct {
	fields []FieldError
}

// Add records that field is bad, with a message saying why.
func (p *Problems) Add(field, message string) {
	p.fields = append(p.fields, FieldError{Field: field, Message: message})
}

// Has reports whether field has been recorded as bad.
func (p *Problems) Has(field string) bool {
	for _, f := range p.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns a CodeInvalid error listing every recorded field, or nil when there is none.
func (p *Problems) Err(message string) error {
	if len(p.fields) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: message, Fields: append([]FieldError(nil), p.fields...)}
}
