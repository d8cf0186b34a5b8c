package httpapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportlib/rapport/internal/rapport"
)

// validator checks every request of the spec's operations before a handler sees it: the
// parameters, the body, and the security requirement (a token, and the operation's scopes).
// It finds the operation from the route Echo has already matched (method and path template)
// rather than routing the request a second time through kin-openapi's router, which measured
// as a twentieth of the CPU of a GET. Paths outside the API (docs, metrics, the spec itself)
// are skipped.
func (s *server) validator(spec *openapi3.T) echo.MiddlewareFunc {
	routes := map[string]*routers.Route{} // by "METHOD /echo/path/:param"
	allowed := map[string]string{}        // the methods of every path template, for a wrong method's Allow
	binary := map[*routers.Route]bool{}   // routes whose body is not JSON: a picture, a zip
	for path, item := range spec.Paths.Map() {
		template := echoPath(path)
		var methods []string
		for method, op := range item.Operations() {
			route := &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}
			routes[method+" "+template] = route
			binary[route] = op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") == nil &&
				op.RequestBody.Value.Content.Get("application/merge-patch+json") == nil
			methods = append(methods, method)
		}
		slices.Sort(methods)
		allowed[template] = strings.Join(methods, ", ")
	}
	opts := &openapi3filter.Options{
		MultiError:         true,
		KeepValidatedValue: true, // the strict handlers bind the validated value (merge-patch needs it)
		AuthenticationFunc: authorize,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.DisableSchemaErrorDetails(),
			openapi3.WithStringFormatValidator("uuid", openapi3.NewCallbackValidator(checkUUID)),
		},
	}
	// A binary body is not read here: its media type is checked, and the capability that
	// takes it (internal/photo) reads and checks it as it streams.
	binaryOpts := *opts
	binaryOpts.ExcludeRequestBody = true
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if !isAPIPath(r.URL.Path) {
				return next(c)
			}
			route := routes[r.Method+" "+c.Path()]
			if route == nil {
				if methods, ok := allowed[c.Path()]; ok {
					c.Response().Header().Set("Allow", methods)
					return rapport.Errorf(rapport.MethodNotAllowed, "%s is not allowed on %s; %s are", r.Method, r.URL.Path, methods)
				}
				return rapport.Errorf(rapport.NotFound, "there is no endpoint %s", r.URL.Path)
			}
			names, values := c.ParamNames(), c.ParamValues()
			params := make(map[string]string, len(names))
			for i, name := range names {
				params[name] = values[i]
			}
			input := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
			if binary[route] {
				input.Options = &binaryOpts
				if err := checkMediaType(r, route); err != nil {
					return err
				}
				// kin-openapi reads the whole body into memory to check the security
				// requirement, even when told to leave the body alone: it sees a request
				// without one.
				bodiless := *r
				bodiless.Body, bodiless.GetBody, bodiless.ContentLength = http.NoBody, nil, 0
				input.Request = &bodiless
			}
			if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil {
				return validationError(r, err)
			}
			return next(c)
		}
	}
}

var errNotUUID = errors.New("not a UUID (RFC 9562)")

// checkUUID accepts what kin-openapi's RFC 9562 pattern (FormatOfStringForUUIDOfRFC9562)
// accepts: the hyphenated form of a UUID of version 1 to 8 with the RFC variant, or the nil or
// max UUID. It parses with google/uuid rather than matching that regular expression because
// every id in a path goes through it; the length check keeps out the other forms uuid.Parse
// takes (braces, urn:uuid:, no hyphens).
func checkUUID(s string) error {
	if len(s) != 36 {
		return errNotUUID
	}
	id, err := uuid.Parse(s)
	switch {
	case err != nil:
		return errNotUUID
	case id == uuid.Nil || id == uuid.Max:
		return nil
	case id.Version() < 1 || id.Version() > 8 || id.Variant() != uuid.RFC4122:
		return errNotUUID
	}
	return nil
}

// echoPath turns an OpenAPI path template into Echo's: /v1/patrons/{patron_id} becomes
// /v1/patrons/:patron_id.
func echoPath(path string) string {
	return strings.NewReplacer("{", ":", "}", "").Replace(path)
}

// isAPIPath reports whether the path is the spec's to judge. Only the pages about the API
// (docs, the spec itself) and the metrics are served outside it; any other unknown path is the
// validator's to answer with 404.
func isAPIPath(path string) bool {
	switch {
	case path == "/metrics", path == "/openapi.json", path == "/openapi.yaml",
		path == "/docs", strings.HasPrefix(path, "/docs/"):
		return false
	}
	return true
}

// authorize is the validator's check of an operation's security requirement: the request must
// carry an accepted token holding every scope the requirement lists, and name no Acting-User
// its client may not act for.
func authorize(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	p := rapport.PrincipalFromContext(ctx)
	if p == nil {
		if err, ok := ctx.Value(authErrorKey{}).(error); ok {
			return err
		}
		return rapport.Errorf(rapport.Unauthenticated, "this operation needs a bearer token; get one at POST /v1/oauth/token")
	}
	for _, scope := range in.Scopes {
		if !p.HasScope(rapport.Scope(scope)) {
			return rapport.Errorf(rapport.Forbidden, "this operation needs the %q scope, which the token does not hold", scope)
		}
	}
	return nil
}

// validationError turns what the validator found into a *rapport.Error: a refused token is
// Unauthenticated or Forbidden, a body of the wrong media type is UnsupportedMedia, malformed
// input is Invalid, and a well-formed body that breaks the schema is Unprocessable, with a
// pointer to every field at fault.
func validationError(r *http.Request, err error) error {
	var errs []error
	if me, ok := err.(openapi3.MultiError); ok {
		errs = me
	} else {
		errs = []error{err}
	}
	// A refused token decides the answer whatever else is wrong: the caller must not learn
	// about the operation's rules before it is allowed to call it.
	for _, e := range errs {
		if se, ok := e.(*openapi3filter.SecurityRequirementsError); ok {
			return securityError(se)
		}
	}
	result := &rapport.Error{Kind: rapport.Unprocessable}
	for _, e := range errs {
		re, ok := e.(*openapi3filter.RequestError)
		if !ok {
			return fmt.Errorf("validate request: %w", e)
		}
		if tooLarge, ok := errors.AsType[*http.MaxBytesError](re); ok {
			return rapport.Errorf(rapport.TooLarge, "the request body is larger than %d bytes", tooLarge.Limit)
		}
		switch {
		case re.Parameter != nil:
			result.Kind = rapport.Invalid
			ptr := "#/" + re.Parameter.In + "/" + re.Parameter.Name
			result.Fields = append(result.Fields, rapport.FieldError{Pointer: ptr, Detail: parameterDetail(re)})
		case strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
			return rapport.Errorf(rapport.UnsupportedMedia, "the body must be sent as %s", mediaTypes(re))
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			return rapport.Errorf(rapport.Invalid, "the request needs a body")
		case isParseError(re.Err):
			return rapport.Errorf(rapport.Invalid, "the body is not well-formed: %s", parseDetail(re.Err))
		default:
			result.Fields = append(result.Fields, schemaFields(re.Err)...)
		}
	}
	if len(result.Fields) == 0 {
		return rapport.Errorf(rapport.Invalid, "the request does not match the API")
	}
	result.Message = result.Fields[0].Pointer[2:] + ": " + result.Fields[0].Detail
	if len(result.Fields) > 1 {
		result.Message = fmt.Sprintf("%d problems with the request; see errors", len(result.Fields))
	}
	return result
}

func securityError(se *openapi3filter.SecurityRequirementsError) error {
	var forbidden error
	for _, e := range se.Errors {
		switch rapport.ErrorKind(e) {
		case rapport.Unauthenticated:
			return e
		case rapport.Forbidden, rapport.Invalid: // Invalid: an Acting-User that is no name at all
			forbidden = e
		}
	}
	if forbidden != nil {
		return forbidden
	}
	return rapport.Errorf(rapport.Unauthenticated, "the request is not authenticated")
}

func isParseError(err error) bool {
	_, ok := errors.AsType[*openapi3filter.ParseError](err)
	return ok
}

func parseDetail(err error) string {
	pe, _ := errors.AsType[*openapi3filter.ParseError](err)
	if pe == nil {
		return "cannot be parsed"
	}
	if cause := pe.RootCause(); cause != nil {
		return cause.Error()
	}
	return pe.Reason
}

// parameterDetail says what is wrong with a parameter without echoing a schema.
func parameterDetail(re *openapi3filter.RequestError) string {
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
		return "is required"
	}
	if se, ok := errors.AsType[*openapi3.SchemaError](re.Err); ok {
		return schemaReason(se)
	}
	if pe, ok := errors.AsType[*openapi3filter.ParseError](re.Err); ok {
		switch pe.Kind {
		case openapi3filter.KindInvalidFormat:
			return "has the wrong type: " + pe.Reason
		}
		return "cannot be parsed: " + pe.Reason
	}
	if re.Reason != "" {
		return re.Reason
	}
	return "is not valid"
}

// schemaReason says what a schema violation is in words a caller can act on, without the
// regular expressions kin-openapi puts in its reasons for formats.
func schemaReason(se *openapi3.SchemaError) string {
	switch {
	case se.SchemaField == "format" && se.Schema != nil:
		return "must be a valid " + se.Schema.Format
	case se.SchemaField == "pattern" && se.Schema != nil:
		return "must match the pattern " + se.Schema.Pattern
	}
	return se.Reason
}

var propertyReason = regexp.MustCompile(`^property "([^"]+)" is (missing|unsupported)$`)

// schemaFields lists the schema violations of a body, each with a pointer to its field.
func schemaFields(err error) []rapport.FieldError {
	var out []rapport.FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner)
			}
		case *openapi3.SchemaError:
			ptr := e.JSONPointer()
			detail := schemaReason(e)
			if m := propertyReason.FindStringSubmatch(e.Reason); m != nil {
				if len(ptr) == 0 || ptr[len(ptr)-1] != m[1] {
					ptr = append(ptr, m[1])
				}
				if m[2] == "missing" {
					detail = "is required"
				} else {
					detail = "is not a member of this object"
				}
			}
			out = append(out, rapport.FieldError{Pointer: "#/" + strings.Join(escapePointer(ptr), "/"), Detail: detail})
		default:
			out = append(out, rapport.FieldError{Pointer: "#/", Detail: err.Error()})
		}
	}
	walk(err)
	return out
}

// escapePointer escapes the tokens of a JSON Pointer (RFC 6901).
func escapePointer(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return out
}

func mediaTypes(re *openapi3filter.RequestError) string {
	if re.RequestBody == nil {
		return "a supported media type"
	}
	var types []string
	for t := range re.RequestBody.Content {
		types = append(types, t)
	}
	slices.Sort(types)
	return strings.Join(types, " or ")
}

// checkMediaType refuses, with 415, a body whose Content-Type the operation does not take,
// for the operations whose body the validator does not read.
func checkMediaType(r *http.Request, route *routers.Route) error {
	content := route.Operation.RequestBody.Value.Content
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && content.Get(mediaType) != nil {
		return nil
	}
	return rapport.Errorf(rapport.UnsupportedMedia, "the body must be one of %s", strings.Join(slices.Sorted(maps.Keys(content)), ", "))
}
