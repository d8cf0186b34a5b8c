package rapport

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// IdempotencyTTL is how long the first answer to a create sent with an Idempotency-Key is kept
// for retries.
const IdempotencyTTL = 24 * time.Hour

// StoredResponse is the first answer to a request sent with an Idempotency-Key.
type StoredResponse struct {
	Status int
	Header map[string]string
	Body   []byte
}

// ClaimOutcome is what a request with an Idempotency-Key found.
type ClaimOutcome int

// The outcomes of a request with an Idempotency-Key.
const (
	ClaimedNew      ClaimOutcome = iota // the key is new (or expired): the request ran
	ClaimedReplay                       // the request was answered: replay the stored answer
	ClaimedInFlight                     // the first request with the key is still running
	ClaimedMismatch                     // the key was used for a different request
)

// IdempotencyOwner is whose an Idempotency-Key is: an API client and the member of staff it
// acts for (empty for none). The same key sent for two people is two keys.
type IdempotencyOwner struct {
	ClientUUID uuid.UUID
	ActingUser string
}

// IdempotencyStore keeps Idempotency-Keys, per owner.
type IdempotencyStore interface {
	// RunIdempotent runs do unless the key was used: when its answer is kept, it replays it
	// (ClaimedReplay), or refuses a different request under the same key (ClaimedMismatch);
	// while a request with the key runs, ClaimedInFlight. Otherwise it runs do with a context
	// whose writes join one transaction with the key, and stores the answer do says to keep
	// (keep true) in that transaction, so that the write and its answer commit together or not
	// at all. An answer not to keep rolls do's writes back. The outcome is then ClaimedNew with
	// do's answer.
	RunIdempotent(ctx context.Context, owner IdempotencyOwner, key string, fingerprint []byte,
		do func(ctx context.Context) (res StoredResponse, keep bool, err error)) (ClaimOutcome, StoredResponse, error)
	// DeleteExpiredIdempotencyKeys removes keys older than IdempotencyTTL.
	DeleteExpiredIdempotencyKeys(ctx context.Context) (int64, error)
}
