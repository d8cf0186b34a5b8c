package httpapi

import (
	"context"
	"net/url"

	"github.com/rapportlib/rapport/internal/rapport"
)

// pageRequest reads the limit and cursor parameters of a list.
func pageRequest(limit *int32, cursor *string) rapport.PageRequest {
	var r rapport.PageRequest
	if limit != nil {
		r.Limit = int(*limit)
	}
	if cursor != nil {
		r.Cursor = *cursor
	}
	return r
}

// nextLink is the RFC 8288 Link header to the page after this one: this request's address with
// the cursor replaced. It is nil on the last page.
func nextLink(ctx context.Context, nextCursor string) *string {
	r := requestFrom(ctx)
	if nextCursor == "" || r == nil {
		return nil
	}
	q := r.URL.Query()
	q.Set("cursor", nextCursor)
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	link := "<" + u.String() + `>; rel="next"`
	return &link
}

// optional returns nil for the zero value, so that an optional member is omitted.
func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// mapSlice applies f to every item.
func mapSlice[T, U any](items []T, f func(T) U) []U {
	out := make([]U, len(items))
	for i, item := range items {
		out[i] = f(item)
	}
	return out
}
