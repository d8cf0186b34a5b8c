package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/rapportlib/rapport/internal/rapport"
)

// strictInput refuses, before any other work, input that could not be taken as sent:
//
//   - a JSON body that is not exactly one JSON value (trailing data, two documents), names a
//     member twice, or holds invalid UTF-8 or an unpaired surrogate escape: the standard
//     decoder would take the first value, the last duplicate, or U+FFFD in place of the bad
//     bytes, and store data the sender did not send;
//   - a path or query parameter holding a NUL byte, another control character or invalid
//     UTF-8, which PostgreSQL would refuse (a 500) or a log would mangle.
//
// Each is a 400 problem+json that says what is wrong. The JSON is checked by jsontext, the
// strict decoder of encoding/json/v2.
func (s *server) strictInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkParameters(r); err != nil {
			writeProblem(s.logger, w, r, err)
			return
		}
		if r.Body != nil && r.Body != http.NoBody && isJSON(r.Header.Get("Content-Type")) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				writeProblem(s.logger, w, r, err) // over the limit: 413 (asDomainError)
				return
			}
			if err := checkJSON(body); err != nil {
				writeProblem(s.logger, w, r, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		next.ServeHTTP(w, r)
	})
}

// isJSON reports whether a Content-Type is JSON: application/json or any +json type.
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"))
}

// checkJSON returns an error of kind Invalid unless body is exactly one JSON value, strictly
// formed. An empty body is left to the validator, which knows whether the operation needs one.
func checkJSON(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	_, err := dec.ReadValue()
	if err == nil {
		if _, err = dec.ReadToken(); err == io.EOF {
			return nil
		}
		if err == nil {
			err = errors.New("more JSON after the first value: send one JSON document")
		}
	}
	pointer := "#"
	var syntax *jsontext.SyntacticError
	if errors.As(err, &syntax) {
		pointer += string(syntax.JSONPointer)
	}
	detail := strings.TrimPrefix(err.Error(), "jsontext: ")
	return &rapport.Error{Kind: rapport.Invalid, Message: "the body is not strict JSON: " + detail,
		Fields: []rapport.FieldError{{Pointer: pointer, Detail: detail}}}
}

// checkParameters returns an error of kind Invalid naming the first path or query parameter
// that holds invalid UTF-8 or a control character (NUL among them).
func checkParameters(r *http.Request) error {
	if bad := badText(r.URL.Path); bad != "" {
		return rapport.FieldErrorf(rapport.Invalid, "#/path", "the path %s", bad)
	}
	for name, values := range r.URL.Query() {
		if bad := badText(name); bad != "" {
			return rapport.FieldErrorf(rapport.Invalid, "#/query", "a query parameter's name %s", bad)
		}
		for _, v := range values {
			if bad := badText(v); bad != "" {
				return rapport.FieldErrorf(rapport.Invalid, "#/query/"+name, "%s", bad)
			}
		}
	}
	return nil
}

// badText says what is wrong with a parameter's text, or "" when nothing is.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for i, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Sprintf("holds the control character U+%04X at byte %d", r, i)
		}
	}
	return ""
}
