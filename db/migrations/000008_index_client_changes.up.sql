-- Every replica looks every quarter second for API clients changed lately (revoked, rotated,
-- narrowed) to stop trusting their cached tokens at once: this index keeps that cheap.
CREATE INDEX changes_clients_idx ON changes (at) WHERE resource = 'client';
