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

// ClaimIdempotencyKey claims a key in one statement, so that of concurrent identical requests
// exactly one goes ahead. An expired key, or one left in flight past staleAfter by the same
// request, is claimed afresh.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, owner rapport.IdempotencyOwner, key string, fingerprint []byte, staleAfter time.Duration) (rapport.ClaimOutcome, rapport.StoredResponse, error) {
	var claimed bool
	err := s.pool.QueryRow(ctx, `
		INSERT INTO idempotency_keys AS k (client_uuid, acting_user, key, fingerprint) VALUES ($1, $6, $2, $3)
		ON CONFLICT (client_uuid, acting_user, key) DO UPDATE
		SET fingerprint = EXCLUDED.fingerprint, status = NULL, response_headers = NULL, response_body = NULL,
			created_at = now(), completed_at = NULL
		WHERE k.created_at < now() - $4::interval
		   OR (k.status IS NULL AND k.created_at < now() - $5::interval AND k.fingerprint = EXCLUDED.fingerprint)
		RETURNING true`,
		owner.ClientUUID, key, fingerprint, rapport.IdempotencyTTL, staleAfter, owner.ActingUser).Scan(&claimed)
	if err == nil {
		return rapport.ClaimedNew, rapport.StoredResponse{}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, rapport.StoredResponse{}, interpretError(fmt.Errorf("claim idempotency key: %w", err))
	}
	var stored []byte
	var status *int
	var headers []byte
	var res rapport.StoredResponse
	err = s.pool.QueryRow(ctx, `
		SELECT fingerprint, status, response_headers, response_body FROM idempotency_keys
		WHERE client_uuid = $1 AND acting_user = $3 AND key = $2`, owner.ClientUUID, key, owner.ActingUser).Scan(&stored, &status, &headers, &res.Body)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return rapport.ClaimedInFlight, res, nil // purged between the two statements; a retry will do
	case err != nil:
		return 0, res, interpretError(fmt.Errorf("read idempotency key: %w", err))
	case string(stored) != string(fingerprint):
		return rapport.ClaimedMismatch, res, nil
	case status == nil:
		return rapport.ClaimedInFlight, res, nil
	}
	res.Status = *status
	if err := json.Unmarshal(headers, &res.Header); err != nil {
		return 0, res, fmt.Errorf("read idempotency key headers: %w", err)
	}
	return rapport.ClaimedReplay, res, nil
}

// CompleteIdempotencyKey stores the answer to a claimed request.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, owner rapport.IdempotencyOwner, key string, res rapport.StoredResponse) error {
	headers, err := json.Marshal(res.Header)
	if err != nil {
		return fmt.Errorf("store idempotency key headers: %w", err)
	}
	_, err = s.pool.Exec(ctx, `
		UPDATE idempotency_keys SET status = $3, response_headers = $4, response_body = $5, completed_at = now()
		WHERE client_uuid = $1 AND acting_user = $6 AND key = $2`, owner.ClientUUID, key, res.Status, headers, res.Body, owner.ActingUser)
	return interpretError(err)
}

// ReleaseIdempotencyKey forgets a claim.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, owner rapport.IdempotencyOwner, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE client_uuid = $1 AND acting_user = $3 AND key = $2 AND status IS NULL`,
		owner.ClientUUID, key, owner.ActingUser)
	return interpretError(err)
}

// DeleteExpiredIdempotencyKeys removes keys past their time.
func (s *Store) DeleteExpiredIdempotencyKeys(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval`, rapport.IdempotencyTTL)
	if err != nil {
		return 0, interpretError(fmt.Errorf("delete expired idempotency keys: %w", err))
	}
	return tag.RowsAffected(), nil
}
