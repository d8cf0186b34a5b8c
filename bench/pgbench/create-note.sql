-- create-note: the baseline's single INSERT of a note about a random patron, taking the
-- district and school from the patron row and returning the row.
\set n random(1, 100000)
INSERT INTO notes (id, district_id, school_id, patron_id, body, kind, visibility, created_by_client, updated_by_client)
SELECT gen_random_uuid(), p.district_id, p.school_id, p.id, 'Asked for more manga like Haikyu!!', 'interest',
       'library', 'bench', 'bench'
  FROM patrons p
 WHERE p.id = bench_uuid(:n::text) AND p.district_id = :district
RETURNING id, school_id, patron_id, body, kind, visibility, created_at, created_by_client,
          coalesce(created_by_user, ''), updated_at, updated_by_client, coalesce(updated_by_user, '');
