// Package rapport is the vocabulary of the product: districts, schools, API clients and the
// people and service they record, the rules their values must keep, and the single error type
// every other layer speaks. It imports nothing outside the standard library; storage and HTTP
// live in their own packages and depend on this one.
package rapport
