package rapport

// Limits of a page of a list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// PageRequest asks for one page of a list.
type PageRequest struct {
	Limit  int    // how many items at the most; 0 means DefaultLimit
	Cursor string // the NextCursor of the previous page; empty for the first page
}

// Size returns the number of items the page may hold.
func (r PageRequest) Size() int {
	if r.Limit <= 0 {
		return DefaultLimit
	}
	return min(r.Limit, MaxLimit)
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T
	NextCursor string // empty on the last page
}

// Match is the If-Match condition of a write. Nil means unconditional; otherwise the write
// happens only when the record's current version is one of those listed, and fails with an
// error of kind PreconditionFailed when it is not.
type Match []int
