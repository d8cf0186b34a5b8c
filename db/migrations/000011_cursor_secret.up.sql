-- The secret that seals page cursors (issue 13; internal/postgres/cursor.go): every replica
-- reads it, so a cursor one gives out, another opens. 32 random bytes, from three random UUIDs
-- (gen_random_uuid draws on the server's strong random source) hashed together. The server may
-- read it and nothing more.
CREATE TABLE cursor_secret (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    secret   bytea NOT NULL CHECK (length(secret) = 32)
);
INSERT INTO cursor_secret (secret)
SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'));
REVOKE INSERT, UPDATE, DELETE ON cursor_secret FROM rapport_app;
