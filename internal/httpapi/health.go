package httpapi

import (
	"context"
	"time"

	"github.com/rapportlib/rapport/api"
)

// GetHealth answers while the process can serve HTTP.
func (s *server) GetHealth(ctx context.Context, _ api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Body: api.Health{Status: api.Ok}}, nil
}

// readinessTimeout bounds the database ping of /readyz.
const readinessTimeout = 2 * time.Second

// GetReadiness answers 200 when the database answers within readinessTimeout.
func (s *server) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return nil, err
	}
	return api.GetReadiness200JSONResponse{Body: api.Health{Status: api.Ok}}, nil
}
