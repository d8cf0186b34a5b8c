package rapport

import (
	"errors"
	"fmt"
)

// Kind is the category of a failure. Each kind maps to one HTTP status in the HTTP adapter; the
// other layers only ever say which kind of thing went wrong.
type Kind string

// The kinds of failure. A failure that is not an *Error is an internal error.
const (
	Invalid            Kind = "invalid"             // malformed input: unparseable, wrong type
	Unprocessable      Kind = "unprocessable"       // well-formed input that breaks a rule
	Unauthenticated    Kind = "unauthenticated"     // no valid credentials
	Forbidden          Kind = "forbidden"           // valid credentials, not allowed
	NotFound           Kind = "not_found"           // absent, or outside the caller's tenancy
	MethodNotAllowed   Kind = "method_not_allowed"  // the path exists, the method does not
	Conflict           Kind = "conflict"            // clashes with the current state
	PreconditionFailed Kind = "precondition_failed" // If-Match no longer current
	Gone               Kind = "gone"                // was here, is no longer kept (an old cursor)
	TooLarge           Kind = "too_large"           // request body over the limit
	UnsupportedMedia   Kind = "unsupported_media"   // Content-Type not accepted
	RateLimited        Kind = "rate_limited"        // too many requests
	Unavailable        Kind = "unavailable"         // a dependency (the database) is unreachable
	Canceled           Kind = "canceled"            // the caller went away before the answer
	Internal           Kind = "internal"            // a bug or an unexpected failure
)

// FieldError says what is wrong with one field or parameter. Pointer is a JSON Pointer in
// URI-fragment form into the request body ("#/name") or names a parameter ("#/query/limit").
type FieldError struct {
	Pointer string
	Detail  string
}

// Error is a failure the caller can act on: its Kind says what went wrong, Message says it in
// words fit for the caller, and Fields point at the parts of the request at fault.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Kind, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s: %s)", e.Kind, e.Message, e.Fields[0].Pointer, e.Fields[0].Detail)
}

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error of the given kind about one field.
func FieldErrorf(kind Kind, pointer, format string, args ...any) *Error {
	detail := fmt.Sprintf(format, args...)
	return &Error{Kind: kind, Message: detail, Fields: []FieldError{{Pointer: pointer, Detail: detail}}}
}

// ErrorKind returns the kind of err: the Kind of the first *Error in its chain, or Internal.
func ErrorKind(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return Internal
}

// Problems collects field errors while input is checked, so that the caller hears about every
// problem at once rather than one per request.
type Problems struct {
	fields []FieldError
}

// Add records a problem with the field at pointer.
func (p *Problems) Add(pointer, format string, args ...any) {
	p.fields = append(p.fields, FieldError{Pointer: pointer, Detail: fmt.Sprintf(format, args...)})
}

// Err returns nil when no problem was added, and otherwise an *Error of kind Unprocessable that
// lists them all.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	msg := p.fields[0].Detail
	if len(p.fields) > 1 {
		msg = fmt.Sprintf("%d fields are invalid", len(p.fields))
	}
	return &Error{Kind: Unprocessable, Message: msg, Fields: p.fields}
}
