package rapport

// Change is a member of a merge patch (RFC 7396) that may be cleared: when Set is false the
// field is left alone; otherwise it becomes *Value, or is cleared when Value is nil.
type Change[T any] struct {
	Set   bool
	Value *T
}

// ApplyTo applies the change to the field at dst, whose zero value means "none".
func (c Change[T]) ApplyTo(dst *T) {
	if !c.Set {
		return
	}
	if c.Value == nil {
		var zero T
		*dst = zero
		return
	}
	*dst = *c.Value
}
