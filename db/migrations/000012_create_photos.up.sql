-- Patron photos (issue 14): the photos with their provenance and history, the JPEG variants
-- consumers ask for, the bytes (content-addressed), consent per purpose and school year, the
-- purpose each API client serves, and photo events in the change feed. See the README,
-- "Photos".

-- A photo import: one zip of a photographer or an SIS, which can be rolled back as a whole.
CREATE TABLE photo_imports (
    id                  uuid PRIMARY KEY,
    district_id         uuid NOT NULL REFERENCES districts (id),
    map_format          text NOT NULL,
    file_name           text,
    status              text NOT NULL DEFAULT 'imported' CHECK (status IN ('imported', 'rolled_back')),
    report              jsonb NOT NULL,
    created_at          timestamptz NOT NULL,
    created_by_client   text NOT NULL,
    created_by_user     text,
    rolled_back_at      timestamptz,
    rolled_back_by_client text,
    rolled_back_by_user text,
    CONSTRAINT photo_imports_rolled_back_check CHECK ((status = 'rolled_back') = (rolled_back_at IS NOT NULL))
);
CREATE INDEX photo_imports_district_idx ON photo_imports (district_id, created_at DESC, id DESC);

-- The bytes of every JPEG Rapport serves or keeps, by the hex SHA-256 of the bytes: the
-- PostgreSQL side of the photo blob port (internal/rapport/photo.go, PhotoBlobs). The same bytes
-- are kept once; a blob goes when no photo refers to it any more (erasure).
CREATE TABLE photo_blobs (
    hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    data bytea NOT NULL
);

-- Every photo a patron has had. At most one is current; the others were replaced or removed,
-- and stay as history with their provenance.
CREATE TABLE photos (
    id                  uuid PRIMARY KEY,
    district_id         uuid NOT NULL,
    patron_id           uuid NOT NULL REFERENCES patrons (id),
    -- The patron's photos are numbered 1, 2, …: the number is the ETag of the photo, so that
    -- If-Match on a change of the patron's photo fails when someone changed it first.
    version             integer NOT NULL CHECK (version > 0),
    state               text NOT NULL CHECK (state IN ('current', 'replaced', 'removed')),
    source              text NOT NULL CHECK (source IN ('photographer_import', 'sis_sync', 'staff_upload', 'self')),
    captured_on         date,
    import_id           uuid REFERENCES photo_imports (id),
    -- What was sent: the hex SHA-256 of the bytes as received, their type and size, and the
    -- size of the picture once turned upright.
    content_hash        text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    original_type       text NOT NULL CHECK (original_type IN ('image/jpeg', 'image/png')),
    original_bytes      bigint NOT NULL CHECK (original_bytes > 0),
    width               integer NOT NULL CHECK (width > 0),
    height              integer NOT NULL CHECK (height > 0),
    -- Where the crops are centred, as fractions of the width and height.
    focal_x             real NOT NULL DEFAULT 0.5 CHECK (focal_x BETWEEN 0 AND 1),
    focal_y             real NOT NULL DEFAULT 0.5 CHECK (focal_y BETWEEN 0 AND 1),
    -- The upright, metadata-free picture the variants are rendered from.
    master_hash         text NOT NULL REFERENCES photo_blobs (hash),
    created_at          timestamptz NOT NULL,
    created_by_client   text NOT NULL,
    created_by_user     text,
    ended_at            timestamptz,
    ended_by_client     text,
    ended_by_user       text,
    CONSTRAINT photos_ended_check CHECK ((state = 'current') = (ended_at IS NULL))
);
CREATE UNIQUE INDEX photos_current_idx ON photos (patron_id) WHERE state = 'current';
CREATE UNIQUE INDEX photos_patron_version_idx ON photos (patron_id, version);
CREATE INDEX photos_import_idx ON photos (import_id) WHERE import_id IS NOT NULL;

-- The JPEGs served of a photo, one per size; the hash is the strong ETag.
CREATE TABLE photo_variants (
    photo_id uuid NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    size     text NOT NULL CHECK (size IN ('48', '96', '128', '256', '512', 'id_card')),
    width    integer NOT NULL CHECK (width > 0),
    height   integer NOT NULL CHECK (height > 0),
    hash     text NOT NULL REFERENCES photo_blobs (hash),
    PRIMARY KEY (photo_id, size)
);
CREATE INDEX photo_variants_hash_idx ON photo_variants (hash);
CREATE INDEX photos_master_hash_idx ON photos (master_hash);

-- Consent to use a patron's photo for a purpose, for a school year ("2026-27"): the FERPA
-- directory-information opt-out, per purpose. Without a row for the current year, the
-- district's default for the purpose applies.
CREATE TABLE photo_consents (
    district_id       uuid NOT NULL,
    patron_id         uuid NOT NULL REFERENCES patrons (id),
    purpose           text NOT NULL CHECK (purpose IN ('desk', 'lms', 'mdm', 'id_card')),
    school_year       text NOT NULL CHECK (school_year ~ '^[0-9]{4}-[0-9]{2}$'),
    granted           boolean NOT NULL,
    recorded_at       timestamptz NOT NULL,
    recorded_by_client text NOT NULL,
    recorded_by_user  text,
    PRIMARY KEY (patron_id, purpose, school_year)
);

-- The district's default consent per purpose, for patrons without a consent of their own.
CREATE TABLE photo_consent_defaults (
    district_id uuid NOT NULL REFERENCES districts (id),
    purpose     text NOT NULL CHECK (purpose IN ('desk', 'lms', 'mdm', 'id_card')),
    granted     boolean NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (district_id, purpose)
);

-- photo_consented says whether a patron's photo may be used for a purpose in a school year:
-- the patron's own answer for that year, else the district's default, else only the desk may
-- (rapport.DefaultPhotoConsent). Every read of a photo by a consumer asks it.
CREATE FUNCTION photo_consented(patron uuid, district uuid, purpose text, school_year text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(
        (SELECT c.granted FROM photo_consents c
         WHERE c.patron_id = patron AND c.purpose = photo_consented.purpose AND c.school_year = photo_consented.school_year),
        (SELECT d.granted FROM photo_consent_defaults d WHERE d.district_id = district AND d.purpose = photo_consented.purpose),
        photo_consented.purpose = 'desk');

-- What makes an API client a photo consumer: the purpose it uses photos for (the consent it
-- relies on; without one it sees no photo through photos:read), the most single photos it may
-- read in a day (NULL: the server's default), and the secret its signed pull URLs are made
-- with (NULL until one is made; HMAC needs the secret itself, not a hash of it).
ALTER TABLE api_clients
    ADD COLUMN photo_purpose text CHECK (photo_purpose IN ('desk', 'lms', 'mdm', 'id_card')),
    ADD COLUMN photo_daily_cap integer CHECK (photo_daily_cap > 0),
    ADD COLUMN photo_url_secret bytea CHECK (length(photo_url_secret) = 32);

-- How many single photos each client read each day (UTC), for its daily cap. Written with the
-- access log, a batch at a time.
CREATE TABLE photo_reads_daily (
    client_uuid uuid NOT NULL REFERENCES api_clients (id),
    day         date NOT NULL,
    reads       bigint NOT NULL CHECK (reads >= 0),
    PRIMARY KEY (client_uuid, day)
);

-- Photo events in the change feed. A photo's event is about the patron (resource_id is the
-- patron's id) and is shown to the consumers whose purpose was consented when it was recorded
-- (photo_purposes), as a note's is shown where the note could be read, and to library staff.
-- An event of a change of consent (photo_consent) tells only the consumers of its purpose that
-- they may now hold the photo, or must drop it; the photo itself did not change.
ALTER TABLE changes ADD COLUMN photo_purposes text[], ADD COLUMN photo_consent boolean NOT NULL DEFAULT false;
ALTER TABLE changes DROP CONSTRAINT changes_resource_check;
ALTER TABLE changes ADD CONSTRAINT changes_resource_check CHECK (resource IN
    ('school', 'patron', 'note', 'interaction', 'feedback_item', 'campaign', 'pledge', 'client', 'photo'));
ALTER TABLE changes DROP CONSTRAINT changes_event_check;
ALTER TABLE changes ADD CONSTRAINT changes_event_check CHECK (
    resource <> 'photo' AND event IN ('created', 'updated', 'deleted')
    OR resource = 'photo' AND event IN ('created', 'replaced', 'removed'));
ALTER TABLE changes ADD CONSTRAINT changes_photo_check CHECK ((resource = 'photo') = (photo_purposes IS NOT NULL) AND (resource = 'photo' OR NOT photo_consent));

-- What a read of a photo served (its size), and a way to the reads of one client.
ALTER TABLE access_log ADD COLUMN detail text;
CREATE INDEX access_log_client_idx ON access_log (district_id, client_id, accessed_at);

-- The blobs and variants are written once and never changed; the history of photos only
-- grows, except that erasure deletes a patron's photos with their blobs.
REVOKE UPDATE ON photo_blobs, photo_variants FROM rapport_app;
