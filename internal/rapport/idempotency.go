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

// ClaimOutcome is what claiming an Idempotency-Key found.
type ClaimOutcome int

// The outcomes of a claim.
const (
	ClaimedNew      ClaimOutcome = iota // the key is new (or expired): go ahead
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
	// ClaimIdempotencyKey claims the key for a request with the given fingerprint. A key left
	// in flight longer than staleAfter by a request with the same fingerprint is taken over,
	// so that a crashed request does not block its retries forever.
	ClaimIdempotencyKey(ctx context.Context, owner IdempotencyOwner, key string, fingerprint []byte, staleAfter time.Duration) (ClaimOutcome, StoredResponse, error)
	// CompleteIdempotencyKey stores the answer to the claimed request.
	CompleteIdempotencyKey(ctx context.Context, owner IdempotencyOwner, key string, res StoredResponse) error
	// ReleaseIdempotencyKey forgets a claim whose request failed on the server's side, so that a
	// retry runs again.
	ReleaseIdempotencyKey(ctx context.Context, owner IdempotencyOwner, key string) error
	// DeleteExpiredIdempotencyKeys removes keys older than IdempotencyTTL.
	DeleteExpiredIdempotencyKeys(ctx context.Context) (int64, error)
}
