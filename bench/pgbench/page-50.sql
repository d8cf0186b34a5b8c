-- page-50: one keyset page of 50 by name, as Rapport's listPatronsByName runs it (51 rows, to
-- know whether a next page follows). The page starts after a random patron: the subquery is
-- one primary-key probe, run once per statement as an InitPlan, so the page itself is the same
-- index range scan as a request with a cursor.
\set n random(1, 100000)
SELECT p.id, p.district_id, p.school_id, p.role, p.given_name, p.family_name,
       coalesce(p.preferred_name, ''), coalesce(p.pronouns, ''), coalesce(p.name_pronunciation, ''),
       coalesce(p.grade, ''), coalesce(p.homeroom, ''), coalesce(p.email, ''),
       coalesce(p.sourced_id, ''), coalesce(p.sis_id, ''), coalesce(p.barcode, ''), coalesce(p.lms_id, ''),
       p.status, p.interests, p.erased_at, p.version,
       p.created_at, p.created_by_client, coalesce(p.created_by_user, ''),
       p.updated_at, p.updated_by_client, coalesce(p.updated_by_user, '')
  FROM patrons p
 WHERE p.district_id = :district AND p.erased_at IS NULL
   AND (p.family_name, p.given_name, p.id) >
       (SELECT s.family_name, s.given_name, s.id FROM patrons s WHERE s.id = bench_uuid(:n::text))
 ORDER BY p.family_name, p.given_name, p.id
 LIMIT 51;
