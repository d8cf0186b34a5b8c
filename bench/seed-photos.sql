-- The benchmark's photos: every one of the 100,000 patrons of bench/seed.sql gets a current
-- photo, as if the district's picture day had been imported. Run by bench/run last (it needs
-- only bench/seed.sql before it), with the pictures' bytes in a file the load generator writes:
--
--   bench/out/bin/load -print-photo-seed >bench/out/photo-pictures.sql
--   psql -v ON_ERROR_STOP=1 -v pictures=bench/out/photo-pictures.sql -f bench/seed-photos.sql
--
-- The bytes are real: eight generated portraits, each processed by internal/photo as an upload
-- is (the master and the six variants), so what the photo workloads serve weighs what a photo
-- does (the 96 px variant about 2.4 kB). All patrons share those eight pictures' blobs, patron
-- n having picture n % 8 (picture_count, set by the included file from bench/load's
-- photoPictures), so that seeding writes rows, not pictures: 100,000 photos and 600,000
-- variants, set-based, in 15 to 18 s.
--
-- What it leaves out: photo events in the change feed (the changes workload reads the feed's
-- first pages, which these would not reach), consent rows (library staff, as the client bench
-- is with photos:staff, see every photo whatever the consent), and an import row (nothing
-- writes photo_imports yet; import_id stays NULL).

\set ON_ERROR_STOP on

\echo 'seed: the bytes of the pictures, from' :pictures
BEGIN;
-- The blobs, the temporary tables bench_pictures and bench_picture_variants that say which is
-- which (k, the original's hash and size, the master's hash; each variant's size and hash),
-- and picture_count, the number of pictures.
\i :pictures

\timing on
\echo 'seed: a current photo for each of the 100,000 patrons'
-- Picture day was in September 2025, a school a day (patron n is at school 1 + n % 10).
-- Ids are deterministic like every other id of the seed: bench_uuid('bench-photo-' || n).
INSERT INTO photos (id, district_id, patron_id, version, state, source, captured_on, content_hash,
                    original_type, original_bytes, width, height, focal_x, focal_y, master_hash,
                    created_at, created_by_client)
SELECT bench_uuid('bench-photo-' || pa.n), bench_uuid('bench-district'), bench_uuid(pa.n::text), 1, 'current',
       'photographer_import', date '2025-09-08' + pa.n % 10, p.content_hash, 'image/jpeg', p.original_bytes,
       p.width, p.height, 0.5, 0.5, p.master_hash,
       timestamptz '2025-09-22 14:00+00' + (pa.n % 10) * interval '1 day', 'rapport-cli'
FROM generate_series(1, 100000) AS pa(n)
JOIN bench_pictures p ON p.k = pa.n % :picture_count;

\echo 'seed: the six variants of each photo'
-- Most of the time goes to the foreign keys' checks (two a row, about 5 s of the 10), which
-- stay on, as everywhere in the seed.
INSERT INTO photo_variants (photo_id, size, width, height, hash)
SELECT bench_uuid('bench-photo-' || pa.n), v.size, v.width, v.height, v.hash
FROM generate_series(1, 100000) AS pa(n)
JOIN bench_picture_variants v ON v.k = pa.n % :picture_count;
COMMIT;

\echo 'seed: VACUUM ANALYZE of the photos'
VACUUM ANALYZE photo_blobs, photos, photo_variants;

-- The bench client signs photo URLs too (the photo-signed workload): its secret is sha256 of
-- "bench-photo-url-secret", which bench/load signs with, base64url-encoded, as a consumer would.
UPDATE api_clients SET photo_url_secret = sha256(convert_to('bench-photo-url-secret', 'UTF8')) WHERE client_id = 'bench';

SELECT (SELECT count(*) FROM photos WHERE state = 'current') AS photos,
       (SELECT count(*) FROM photo_variants) AS variants,
       (SELECT count(*) FROM photo_blobs) AS blobs,
       (SELECT pg_size_pretty(sum(length(data))) FROM photo_blobs) AS blob_bytes;
