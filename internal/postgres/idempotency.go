package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.IdempotencyStore = (*Store)(nil)

// txKey carries the transaction a request holds (RunIdempotent) in its context, so that the
// units of work of the request join it (inTx, querier) and take its time (now).
type txKey struct{}

// ambient is the transaction a request holds, and its time.
type ambient struct {
	tx  pgx.Tx
	now time.Time
}

// RunIdempotent runs do at most once per owner and key, in one transaction with the key's
// claim and its stored answer, so that a crash at any instant leaves either nothing (a retry
// does the write) or the write and its answer (a retry replays it):
//
//  1. A transaction-scoped advisory lock on the key: a request with the key still running holds
//     it, and another gets ClaimedInFlight at once. PostgreSQL releases it when the transaction
//     ends, however it ends (a commit, a rollback, a dropped connection), so no claim outlives
//     the request that made it.
//  2. A kept answer: ClaimedReplay, or ClaimedMismatch when it answered another request.
//  3. Otherwise do, whose writes join the transaction through its context; a kept answer is
//     stored, and the whole commits. An answer not to keep (a refusal, a failure) rolls back.
func (s *Store) RunIdempotent(ctx context.Context, owner rapport.IdempotencyOwner, key string, fingerprint []byte,
	do func(ctx context.Context) (rapport.StoredResponse, bool, error)) (rapport.ClaimOutcome, rapport.StoredResponse, error) {
	outcome, res := rapport.ClaimedNew, rapport.StoredResponse{}
	now := s.clock()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || '/' || $2 || '/' || $3, 0))`,
			owner.ClientUUID, owner.ActingUser, key).Scan(&locked); err != nil {
			return fmt.Errorf("lock idempotency key: %w", err)
		}
		if !locked {
			outcome = rapport.ClaimedInFlight
			return nil
		}
		var stored []byte
		var status *int
		var headers []byte
		err := tx.QueryRow(ctx, `
			SELECT fingerprint, status, response_headers, response_body FROM idempotency_keys
			WHERE client_uuid = $1 AND acting_user = $2 AND key = $3 AND created_at > $4`,
			owner.ClientUUID, owner.ActingUser, key, now.Add(-rapport.IdempotencyTTL)).Scan(&stored, &status, &headers, &res.Body)
		switch {
		case err == nil && string(stored) != string(fingerprint):
			outcome = rapport.ClaimedMismatch
			return nil
		case err == nil && status != nil:
			outcome, res.Status = rapport.ClaimedReplay, *status
			if err := json.Unmarshal(headers, &res.Header); err != nil {
				return fmt.Errorf("read idempotency key headers: %w", err)
			}
			return nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("read idempotency key: %w", err)
		}

		var keep bool
		res, keep, err = do(context.WithValue(ctx, txKey{}, ambient{tx: tx, now: now}))
		if err != nil {
			return err
		}
		if !keep {
			return errDiscard
		}
		headers, err = json.Marshal(res.Header)
		if err != nil {
			return fmt.Errorf("store idempotency key headers: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO idempotency_keys (client_uuid, acting_user, key, fingerprint, status, response_headers, response_body,
				created_at, completed_at)
			VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $8)
			ON CONFLICT (client_uuid, acting_user, key) DO UPDATE
			SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, response_headers = EXCLUDED.response_headers,
				response_body = EXCLUDED.response_body, created_at = EXCLUDED.completed_at, completed_at = EXCLUDED.completed_at`,
			owner.ClientUUID, owner.ActingUser, key, fingerprint, res.Status, string(headers), res.Body, now); err != nil {
			return fmt.Errorf("store idempotency key: %w", err)
		}
		return nil
	})
	if errors.Is(err, errDiscard) {
		return rapport.ClaimedNew, res, nil
	}
	if err != nil {
		return 0, rapport.StoredResponse{}, interpretError(fmt.Errorf("run idempotent request: %w", err))
	}
	return outcome, res, nil
}

// errDiscard rolls back a request whose answer is not kept.
var errDiscard = errors.New("discard")

// DeleteExpiredIdempotencyKeys removes keys past their time.
func (s *Store) DeleteExpiredIdempotencyKeys(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval`, rapport.IdempotencyTTL)
	if err != nil {
		return 0, interpretError(fmt.Errorf("delete expired idempotency keys: %w", err))
	}
	return tag.RowsAffected(), nil
}
