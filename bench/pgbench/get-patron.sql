-- get-patron: one patron by id, with Rapport's column list and conditions (GetPatron in
-- internal/postgres/patron.go). Patron n's id is bench_uuid(n::text) (seed.sql); bench/run passes -D district=….
\set n random(1, 100000)
SELECT p.id, p.district_id, p.school_id, p.role, p.given_name, p.family_name,
       coalesce(p.preferred_name, ''), coalesce(p.pronouns, ''), coalesce(p.name_pronunciation, ''),
       coalesce(p.grade, ''), coalesce(p.homeroom, ''), coalesce(p.email, ''),
       coalesce(p.sourced_id, ''), coalesce(p.sis_id, ''), coalesce(p.barcode, ''), coalesce(p.lms_id, ''),
       p.status, p.interests, p.erased_at, p.version,
       p.created_at, p.created_by_client, coalesce(p.created_by_user, ''),
       p.updated_at, p.updated_by_client, coalesce(p.updated_by_user, '')
  FROM patrons p
 WHERE p.id = bench_uuid(:n::text) AND p.district_id = :district;
