-- Tenancy: districts, their schools, and the API clients that call on their behalf.

CREATE TABLE districts (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    sourced_id text,
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schools (
    id                uuid PRIMARY KEY,
    district_id       uuid NOT NULL REFERENCES districts (id),
    name              text NOT NULL CHECK (name <> ''),
    -- The slug names the school in public addresses, which carry no district: unique everywhere.
    slug              text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    sourced_id        text,
    time_zone         text NOT NULL DEFAULT 'UTC',
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_user   text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by_client text NOT NULL,
    updated_by_user   text,
    CONSTRAINT schools_slug_key UNIQUE (slug),
    CONSTRAINT schools_sourced_id_key UNIQUE (district_id, sourced_id),
    -- Lets other tables require that a school belongs to their district.
    CONSTRAINT schools_district_id_id_key UNIQUE (district_id, id)
);
CREATE INDEX schools_district_name_idx ON schools (district_id, name, id);

CREATE TABLE api_clients (
    id                uuid PRIMARY KEY,
    client_id         text NOT NULL CHECK (client_id ~ '^[A-Za-z0-9._-]{3,64}$'),
    name              text NOT NULL CHECK (name <> ''),
    district_id       uuid NOT NULL REFERENCES districts (id),
    scopes            text[] NOT NULL CHECK (cardinality(scopes) > 0),
    -- SHA-256 of the secret. Secrets are 256 random bits, so a fast hash is enough.
    secret_hash       bytea NOT NULL,
    revoked_at        timestamptz,
    secret_rotated_at timestamptz,
    last_token_at     timestamptz,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_user   text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by_client text NOT NULL,
    updated_by_user   text,
    CONSTRAINT api_clients_client_id_key UNIQUE (client_id)
);
CREATE INDEX api_clients_district_created_idx ON api_clients (district_id, created_at DESC, id DESC);

-- The schools a client is limited to. A client without rows here sees every school of its
-- district. The composite foreign key keeps a client's schools inside its district.
CREATE TABLE api_client_schools (
    client_uuid uuid NOT NULL REFERENCES api_clients (id),
    district_id uuid NOT NULL,
    school_id   uuid NOT NULL,
    PRIMARY KEY (client_uuid, school_id),
    CONSTRAINT api_client_schools_school_fkey FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);

CREATE TABLE access_tokens (
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash  bytea PRIMARY KEY,
    client_uuid uuid NOT NULL REFERENCES api_clients (id),
    scopes      text[] NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_tokens_client_idx ON access_tokens (client_uuid);
CREATE INDEX access_tokens_expires_idx ON access_tokens (expires_at);
