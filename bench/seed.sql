-- The benchmark data set: one district, 10 schools, the API client `bench` (secret
-- `bench-secret`, every scope), 100,000 patrons and 20,000 notes. Run by bench/run with psql on
-- a freshly migrated database:
--
--   psql -v ON_ERROR_STOP=1 -v scopes='{admin,patrons:read,…}' -f bench/seed.sql
--
-- Ids are deterministic so that the load generator can address rows without asking: patron n
-- (1…100,000) is bench_uuid(n::text), the district bench_uuid('bench-district'), school k
-- (1…10) bench_uuid('bench-school-' || k). Everything random comes from random() after
-- setseed(), so the data is the same on every run of the same PostgreSQL version.

\set ON_ERROR_STOP on
SELECT setseed(0.20261129) \gset

-- bench_uuid is md5(seed) made a version-4 UUID of the RFC 9562 variant (digit 13 set to 4,
-- digit 17 to one of 8, 9, a, b). A bare md5(seed)::uuid would do for PostgreSQL, but Rapport
-- checks ids in paths against the uuid format of the spec, which most of those fail. The load
-- generator (bench/load, patronID) and bench/pgbench compute the same ids.
CREATE FUNCTION bench_uuid(seed text) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN overlay(overlay(md5(seed) PLACING '4' FROM 13)
                   PLACING substr('89ab', 1 + (strpos('0123456789abcdef', substr(md5(seed), 17, 1)) - 1) % 4, 1) FROM 17)::uuid;

\echo 'seed: district, schools and the API client bench'
BEGIN;

INSERT INTO districts (id, name, slug, sourced_id)
VALUES (bench_uuid('bench-district'), 'Bench Unified School District', 'bench-usd', 'bench-usd');

-- Schools 1–5 are elementary (PK–05), 6–8 middle (06–08), 9–10 high (09–12); patron n goes to
-- school 1 + n % 10, and its grade follows from the school.
INSERT INTO schools (id, district_id, name, slug, sourced_id, time_zone, created_by_client, updated_by_client)
SELECT bench_uuid('bench-school-' || k), bench_uuid('bench-district'), names[k],
       trim(BOTH '-' FROM regexp_replace(lower(names[k]), '[^a-z0-9]+', '-', 'g')),
       'school-' || k, 'America/Chicago', 'rapport-cli', 'rapport-cli'
FROM generate_series(1, 10) k,
     (SELECT ARRAY['Jefferson Elementary School', 'Maple Grove Elementary School', 'Oak Park Elementary School',
                   'Sojourner Truth Elementary School', 'Cesar Chavez Elementary School',
                   'Roosevelt Middle School', 'Hillcrest Middle School', 'Ada Lovelace Middle School',
                   'Lincoln High School', 'Riverside High School'] AS names) s;

-- The secret is stored as SHA-256 of its bytes, as internal/auth does. The scopes come from the
-- Scope enum of openapi.yaml (bench/run extracts them), so the client holds all of them.
INSERT INTO api_clients (id, client_id, name, district_id, scopes, secret_hash, created_by_client, updated_by_client)
VALUES (bench_uuid('bench-client'), 'bench', 'Benchmark load generator', bench_uuid('bench-district'),
        :'scopes'::text[], sha256(convert_to('bench-secret', 'UTF8')), 'rapport-cli', 'rapport-cli');

COMMIT;

\timing on
\echo 'seed: 100,000 patrons'
-- Names mix common English names with accented and non-English ones (Zoë, José, Müller,
-- Dubois, Nguyễn, O''Brien, Van der Berg, …), so that search meets folding, apostrophes and
-- multi-word names. Family names are skewed (power(random(), 1.3)): the first of the list are
-- the most common, as in a real roll.
INSERT INTO patrons (id, district_id, school_id, role, given_name, family_name, preferred_name,
                     pronouns, name_pronunciation, grade, homeroom, email, sourced_id, sis_id, barcode,
                     lms_id, status, interests, created_at, created_by_client, updated_at, updated_by_client)
WITH picked AS (
    SELECT n, 1 + n % 10 AS school,
           CASE WHEN r_role < 0.90 THEN 'student' WHEN r_role < 0.95 THEN 'teacher'
                WHEN r_role < 0.975 THEN 'staff' WHEN r_role < 0.985 THEN 'administrator'
                WHEN r_role < 0.995 THEN 'guardian' ELSE 'other' END AS role,
           gn[1 + floor(r_given * array_length(gn, 1))::int] AS given_name,
           fn[1 + floor(power(r_family, 1.3) * array_length(fn, 1))::int] AS family_name,
           CASE WHEN r_pref < 0.10 THEN pn[1 + floor(r_pref * 10 * array_length(pn, 1))::int] END AS preferred_name,
           r_misc, r_created
    FROM (SELECT n, random() AS r_role, random() AS r_given, random() AS r_family, random() AS r_pref,
                 random() AS r_misc, random() AS r_created
          FROM generate_series(1, 100000) n) r,
         (SELECT ARRAY['Olivia', 'Liam', 'Emma', 'Noah', 'Amelia', 'Oliver', 'Ava', 'Elijah', 'Sophia', 'Mateo',
                       'Isabella', 'Lucas', 'Mia', 'Levi', 'Charlotte', 'Asher', 'Harper', 'James', 'Luna', 'Leo',
                       'Evelyn', 'Ethan', 'Aria', 'Kai', 'Zoë', 'Zoe', 'Aiden', 'Nora', 'Hiroshi', 'Fatima', 'Wei',
                       'Priya', 'Santiago', 'Amara', 'Yusuf', 'Ingrid', 'Tomasz', 'José', 'Chloé', 'Renée',
                       'Maëlle', 'Søren', 'Björn', 'Łukasz', 'Ngọc Anh', 'Thảo', 'Minh', 'Siobhán', 'Aoife',
                       'Dmitri', 'Anastasia', 'Kwame', 'Ama', 'Chiara', 'Giulia', 'Matías', 'Valentina', 'Camila',
                       'Sebastián', 'Ximena', 'Ahmed', 'Layla', 'Omar', 'Noor', 'Aarav', 'Ananya', 'Hana', 'Yuki',
                       'Haruto', 'Ji-woo', 'Seo-yeon', 'John', 'Jonathan', 'Johanna', 'Zachary', 'Zara',
                       'Muhammad', 'Michael', 'Emily', 'Daniel', 'Grace', 'Benjamin', 'Ella', 'Henry', 'Scarlett',
                       'Jack', 'Lily', 'Wyatt', 'Hazel', 'Élodie', 'François', 'Zoltán', 'Jürgen', 'Mary Kate'] AS gn,
                 ARRAY['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'García', 'Miller', 'Davis', 'Rodríguez',
                       'Martínez', 'Nguyễn', 'Hernández', 'López', 'González', 'Wilson', 'Anderson', 'Thomas',
                       'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Pérez', 'Thompson', 'White', 'Harris',
                       'Sánchez', 'Clark', 'Ramírez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King',
                       'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker',
                       'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Kowalski', 'Okafor', 'Tanaka',
                       'Schmidt', 'Müller', 'Mueller', 'Dubois', 'Rossi', 'Kim', 'Patel', 'Singh', 'Chen', 'Wang',
                       'Ali', 'Haddad', 'Novák', 'Silva', 'Costa', 'Jensen', 'Larsen', 'O''Brien', 'Núñez', 'Çelik',
                       'Yılmaz', 'Øberg', 'Ångström', 'Van der Berg', 'Smith-Jones', 'Murphy', 'Mukherjee', 'Muñoz',
                       'Trần', 'Lê', 'Phạm', 'Fernández', 'Johansson', 'Dupont', 'Lefèvre', 'Zhang', 'Zimmermann',
                       'Zúñiga'] AS fn,
                 ARRAY['Zoe', 'Joe', 'Liz', 'Alex', 'Sam', 'Pepe', 'Kai', 'Mo', 'Bea', 'Nico', 'Tom', 'Jo', 'Max',
                       'Charlie', 'Izzy', 'Benny', 'Lulu', 'Nate', 'Abby', 'Vicky', 'Jojo', 'Sasha', 'Dani', 'Toni',
                       'Mimi', 'Ana', 'Gabe', 'Theo'] AS pn) names
)
SELECT bench_uuid(n::text), bench_uuid('bench-district'), bench_uuid('bench-school-' || school), role,
       given_name, family_name, preferred_name,
       CASE WHEN r_misc < 0.25 THEN (ARRAY['she/her', 'he/him', 'they/them'])[1 + n % 3] END,
       CASE WHEN r_misc > 0.97 THEN upper(left(given_name, 1)) || '-' || lower(substr(given_name, 2)) END,
       CASE WHEN role = 'student' THEN
           CASE WHEN school <= 5 THEN (ARRAY['PK', 'KG', '01', '02', '03', '04', '05'])[1 + n % 7]
                WHEN school <= 8 THEN (ARRAY['06', '07', '08'])[1 + n % 3]
                ELSE (ARRAY['09', '10', '11', '12'])[1 + n % 4] END
       END,
       CASE WHEN role = 'student' THEN 'Room ' || (100 * (1 + n % 3) + n % 25) END,
       CASE WHEN r_misc < 0.70 THEN
           regexp_replace(fold_name(given_name), '[^a-z]', '', 'g') || '.' ||
           regexp_replace(fold_name(family_name), '[^a-z]', '', 'g') || n || '@bench-usd.example.org'
       END,
       'SRC-' || lpad(n::text, 7, '0'),
       CASE WHEN role = 'student' THEN (200000 + n)::text END,
       '2' || lpad((n * 7919 % 1000003)::text, 9, '0'), -- 7919 is prime to 1000003: unique for n ≤ 100,000
       CASE WHEN r_misc < 0.80 THEN 'lms-' || n END,
       CASE WHEN r_misc > 0.98 THEN 'inactive' ELSE 'active' END,
       -- 0 to 3 distinct interests; the step 5 is prime to 16, so no repeats.
       ARRAY(SELECT (ARRAY['graphic novels', 'dinosaurs', 'manga', 'soccer', 'poetry', 'space', 'horses',
                           'coding', 'mysteries', 'fantasy', 'history', 'cooking', 'chess', 'anime', 'robotics',
                           'drawing'])[1 + (n * 11 + k * 5) % 16]
             FROM generate_series(1, n % 4) k),
       timestamptz '2024-08-01 08:00+00' + r_created * interval '700 days', 'rapport-cli',
       timestamptz '2024-08-01 08:00+00' + r_created * interval '700 days' + r_misc * interval '30 days', 'rapport-cli'
FROM picked;

\echo 'seed: 20,000 notes on random patrons'
-- A quarter carry a follow-up; notes_follow_up_check wants a prompt and a state together, and a
-- closed_at exactly when the state is not open.
INSERT INTO notes (id, district_id, school_id, patron_id, body, kind, visibility, follow_up_prompt,
                   follow_up_state, follow_up_due_on, follow_up_closed_at, follow_up_closed_by_client,
                   created_at, created_by_client, updated_at, updated_by_client)
SELECT bench_uuid('bench-note-' || i), p.district_id, p.school_id, p.id,
       bodies[1 + floor(r_body * array_length(bodies, 1))::int],
       kinds[1 + floor(r_body * array_length(bodies, 1))::int],
       CASE WHEN r_vis < 0.85 THEN 'library' WHEN r_vis < 0.97 THEN 'school' ELSE 'author' END,
       CASE WHEN r_follow < 0.25 THEN prompts[1 + floor(r_follow * 4 * array_length(prompts, 1))::int] END,
       CASE WHEN r_follow < 0.15 THEN 'open' WHEN r_follow < 0.22 THEN 'done' WHEN r_follow < 0.25 THEN 'dropped' END,
       CASE WHEN r_follow < 0.10 THEN (created + interval '14 days')::date END,
       CASE WHEN r_follow >= 0.15 AND r_follow < 0.25 THEN created + interval '10 days' END,
       CASE WHEN r_follow >= 0.15 AND r_follow < 0.25 THEN 'rapport-cli' END,
       created, 'rapport-cli', created, 'rapport-cli'
FROM (SELECT i, 1 + floor(random() * 100000)::int AS n, random() AS r_body, random() AS r_vis,
             random() AS r_follow, timestamptz '2025-01-06 08:00+00' + random() * interval '300 days' AS created
      FROM generate_series(1, 20000) i) r
JOIN patrons p ON p.id = bench_uuid(r.n::text),
     (SELECT ARRAY['Loves the Wings of Fire series; asked when the next one comes in',
                   'Reading everything about dinosaurs this month',
                   'Mentioned a science fair project on volcanoes',
                   'Said their grandmother is visiting from Oaxaca',
                   'Prefers audiobooks for long novels',
                   'Likes to sit by the window; gets distracted near the computers',
                   'Uses large-print books',
                   'Needs the reading pen for longer texts',
                   'Returned a damaged book and offered to pay; waived',
                   'Helped shelve books during lunch',
                   'Into manga, especially sports stories',
                   'Asked for poetry by Amanda Gorman',
                   'Wants to start a chess club in the library',
                   'Mentioned the robotics competition next month',
                   'Prefers graphic novels; reading level rising fast',
                   'Said Mr. Dubois recommended Hatchet'] AS bodies,
             ARRAY['interest', 'interest', 'mention', 'mention', 'preference', 'preference', 'accessibility',
                   'accessibility', 'other', 'other', 'interest', 'interest', 'interest', 'mention',
                   'preference', 'mention'] AS kinds,
             ARRAY['Ask how the science fair went', 'Set aside the next volume when it arrives',
                   'Ask whether the audiobook worked out', 'Check in about the chess club'] AS prompts) t;

\echo 'seed: the change feed: an event for each patron and note, as the API would have written'
-- One transaction, in the order of the records' creation; the feed's reader (the changes
-- workload) follows these pages of 200.
INSERT INTO changes (district_id, school_id, resource, resource_id, event, note_visibility,
                     note_author_client, at, by_client)
SELECT district_id, school_id, resource, id, 'created', visibility, author, created_at, 'rapport-cli'
FROM (SELECT district_id, school_id, 'patron' AS resource, id, NULL AS visibility, NULL AS author, created_at FROM patrons
      UNION ALL
      SELECT district_id, school_id, 'note', id, visibility, created_by_client, created_at FROM notes) r
ORDER BY created_at, id;

\echo 'seed: VACUUM ANALYZE'
VACUUM ANALYZE;

SELECT (SELECT count(*) FROM schools) AS schools, (SELECT count(*) FROM patrons) AS patrons,
       (SELECT count(*) FROM notes) AS notes;
