-- The interactions of the benchmark data set: 1,000,000 interactions of the district bench-usd
-- over two school years, and their rows in interaction_patrons (about 1.4 million). Run by
-- bench/run with psql right after seed.sql, whose patrons, schools and bench_uuid it uses:
--
--   psql -v ON_ERROR_STOP=1 -f bench/seed-interactions.sql
--
-- Patron n (1…100,000) is bench_uuid(n::text) at school 1 + n % 10, as in seed.sql. The shapes:
--
--   80 %  one patron: visits, reference questions, readers' advisory, tech and research help.
--         The patron is skewed, n = 1 + ⌊100,000 · r^1.5⌋: patron 1 comes about 370 times in the
--         two years (about once a school day), patron 100 about 50 times, a typical patron 5 to
--         10; with the class visits, the median patron has 13 interactions.
--   12 %  anonymous head counts (events, instruction to a group): no patron rows.
--    8 %  class visits naming 3 to 12 patrons of one school (n0, n0 + 10, n0 + 20, …, all at
--         school 1 + n0 % 10), head count 15 to 30.
--
-- occurred_at is a school day (Monday to Friday from mid-August to early June, 2024–25 and
-- 2025–26, without the winter and spring breaks and Thanksgiving), between 07:30 and 16:00 in
-- America/Chicago. Every CHECK holds: an outcome of referred exactly when there is a referral,
-- closed referrals with their note, time and client, ratings before comments, head_count at
-- least the patrons named. Everything random comes from random() after setseed(), so the data is
-- the same on every run of the same PostgreSQL version.

\set ON_ERROR_STOP on
SELECT setseed(0.20261130) \gset
SET temp_buffers = '256MB';
\timing on

BEGIN;

\echo 'seed: 1,000,000 interactions, generated'
CREATE TEMP TABLE bench_interactions ON COMMIT DROP AS
WITH days AS MATERIALIZED (
    SELECT array_agg(d::date ORDER BY d) AS a
    FROM generate_series(date '2024-08-14', date '2026-06-05', interval '1 day') d
    WHERE extract(isodow FROM d) < 6
      AND (d BETWEEN '2024-08-14' AND '2025-06-06' OR d BETWEEN '2025-08-13' AND '2026-06-05')
      AND NOT d BETWEEN '2024-11-27' AND '2024-11-29' AND NOT d BETWEEN '2025-11-26' AND '2025-11-28'
      AND NOT d BETWEEN '2024-12-21' AND '2025-01-05' AND NOT d BETWEEN '2025-12-20' AND '2026-01-04'
      AND NOT d BETWEEN '2025-03-15' AND '2025-03-23' AND NOT d BETWEEN '2026-03-14' AND '2026-03-22'
), drawn AS (
    SELECT g,
           CASE WHEN r_shape < 0.80 THEN 'one' WHEN r_shape < 0.92 THEN 'anonymous' ELSE 'class' END AS shape,
           1 + floor(power(r_who, 1.5) * 100000)::int AS n_one,
           1 + floor(r_who * (100000 - 110))::int AS n_class,
           3 + floor(r_size * 10)::int AS class_size,
           1 + floor(r_who * 10)::int AS school_anonymous,
           -- A school day and a time of the school day, in the district's time zone.
           date_trunc('second', (days.a[1 + floor(r_day * array_length(days.a, 1))::int] + time '07:30'
               + r_time * interval '8 hours 30 minutes') AT TIME ZONE 'America/Chicago') AS occurred_at,
           r_kind, r_channel, r_outcome, r_level, r_size, r_rating, r_extra
    FROM (SELECT g, random() AS r_shape, random() AS r_who, random() AS r_size, random() AS r_day,
                 random() AS r_time, random() AS r_kind, random() AS r_channel, random() AS r_outcome,
                 random() AS r_level, random() AS r_rating, random() AS r_extra
          FROM generate_series(1, 1000000) g) r, days
), shaped AS (
    SELECT g, shape, occurred_at, r_channel, r_outcome, r_level, r_rating, r_extra,
           CASE shape WHEN 'one' THEN n_one WHEN 'class' THEN n_class END AS n0,
           CASE shape WHEN 'one' THEN 1 WHEN 'class' THEN class_size ELSE 0 END AS patrons,
           CASE shape WHEN 'one' THEN 1 + n_one % 10 WHEN 'class' THEN 1 + n_class % 10 ELSE school_anonymous END AS school,
           CASE shape
               WHEN 'one' THEN CASE WHEN r_kind < 0.45 THEN 'visit' WHEN r_kind < 0.60 THEN 'reference'
                                    WHEN r_kind < 0.75 THEN 'readers_advisory' WHEN r_kind < 0.87 THEN 'tech_help'
                                    WHEN r_kind < 0.95 THEN 'research_help' WHEN r_kind < 0.98 THEN 'instruction'
                                    ELSE 'other' END
               WHEN 'class' THEN CASE WHEN r_kind < 0.75 THEN 'class_visit' ELSE 'instruction' END
               ELSE CASE WHEN r_kind < 0.55 THEN 'event' WHEN r_kind < 0.90 THEN 'instruction' ELSE 'other' END
           END AS kind,
           CASE shape WHEN 'one' THEN 1 WHEN 'class' THEN 15 + floor(r_size * 16)::int
                      ELSE 2 + floor(power(r_size, 2) * 119)::int END AS head_count
    FROM drawn
), described AS (
    SELECT s.*,
           -- Desk services get an outcome; referrals are made from questions only.
           CASE WHEN kind IN ('visit', 'event', 'class_visit') THEN NULL
                WHEN kind IN ('reference', 'research_help', 'readers_advisory') AND r_outcome < 0.05 THEN 'referred'
                WHEN r_outcome < 0.85 THEN 'answered' WHEN r_outcome < 0.94 THEN 'follow_up'
                ELSE 'unresolved' END AS outcome,
           CASE WHEN shape = 'one' AND kind <> 'visit' THEN
                CASE WHEN r_channel < 0.84 THEN 'in_person' WHEN r_channel < 0.88 THEN 'email'
                     WHEN r_channel < 0.92 THEN 'chat' WHEN r_channel < 0.95 THEN 'lms'
                     WHEN r_channel < 0.98 THEN 'phone' ELSE 'video' END
                ELSE 'in_person' END AS channel
    FROM shaped s
), created AS (
    SELECT g, bench_uuid('bench-school-' || school) AS school_id,
           n0, patrons, greatest(head_count, patrons) AS head_count, kind, channel, outcome,
           -- Three summaries a kind; a plain visit has none.
           (CASE kind
                WHEN 'reference' THEN ARRAY['Where the atlases are', 'Science fair: books on volcanoes', 'Poetry for a class presentation']
                WHEN 'readers_advisory' THEN ARRAY['Looked for the next Wings of Fire book; on hold',
                                                   'Wanted a scary book that is not too scary', 'Graphic novels like Dog Man']
                WHEN 'tech_help' THEN ARRAY['Chromebook would not connect to the printer', 'Password reset for the reading app',
                                            'Could not open the audiobook app']
                WHEN 'research_help' THEN ARRAY['Primary sources on the Dust Bowl', 'Citation help for a history paper',
                                                'How to search the encyclopedia database']
                WHEN 'instruction' THEN ARRAY['Research skills lesson: evaluating websites', 'Library orientation', 'How to use the catalog']
                WHEN 'class_visit' THEN ARRAY['Story time and a book talk', 'Book exchange', 'Browsing and checkout']
                WHEN 'event' THEN ARRAY['Author visit', 'Book fair', 'Makerspace: paper circuits']
                WHEN 'other' THEN ARRAY['Lost and found', 'Asked about volunteering', 'Returned a book from another school']
            END)[1 + floor(r_extra * 3)::int] AS summary,
           CASE WHEN kind IN ('visit', 'event') THEN NULL ELSE 1 + floor(power(r_level, 1.8) * 6)::int END AS read_level,
           CASE WHEN kind = 'visit' THEN NULL
                WHEN kind IN ('class_visit', 'event') THEN 30 + floor(r_level * 31)::int
                ELSE 2 + floor(power(r_level, 1.8) * 40)::int END AS duration_minutes,
           occurred_at,
           CASE WHEN outcome = 'referred' THEN (ARRAY['Ms. Rivera', 'Mr. Okafor', 'Springfield Public Library', 'Dr. Chen'])[1 + g % 4] END AS referral_to_name,
           CASE WHEN outcome = 'referred' THEN (ARRAY['school counselor', 'technology coordinator', 'public library', 'reading specialist'])[1 + g % 4] END AS referral_to_role,
           CASE WHEN outcome = 'referred' AND g % 3 <> 0 THEN (ARRAY['rivera@bench-usd.example.org', 'okafor@bench-usd.example.org', '555-0142', 'chen@bench-usd.example.org'])[1 + g % 4] END AS referral_contact,
           CASE WHEN outcome = 'referred' THEN CASE WHEN r_extra < 0.35 THEN 'made' ELSE 'closed' END END AS referral_state,
           CASE WHEN outcome = 'referred' AND r_extra >= 0.35 THEN 'They met the following week' END AS referral_closed_note,
           CASE WHEN outcome = 'referred' AND r_extra >= 0.35 THEN occurred_at + (1 + g % 14) * interval '1 day' END AS referral_closed_at,
           CASE WHEN outcome = 'referred' AND r_extra >= 0.35 THEN 'bench' END AS referral_closed_by_client,
           -- 8 % of desk services are rated, mostly well; 3 % with a comment.
           CASE WHEN shape = 'one' AND kind <> 'visit' AND r_rating < 0.08
                THEN 3 + floor(power(r_rating / 0.08, 0.5) * 3)::int END AS satisfaction_rating,
           CASE WHEN shape = 'one' AND kind <> 'visit' AND r_rating < 0.03 THEN 'Thank you!' END AS satisfaction_comment,
           occurred_at + floor(power(r_extra, 4) * 120) * interval '1 minute' AS created_at,
           CASE WHEN g % 10 < 7 THEN 'librarian' || school || '@bench-usd.example.org' END AS by_user
    FROM described
)
-- Ids are UUIDv7, as Rapport gives them (uuid.NewV7): the creation time in milliseconds, then
-- bits of md5(g). In id order, as they would have been written, the id indexes and the time
-- indexes grow at their right edge as they do in production.
SELECT (lpad(to_hex((extract(epoch FROM created_at) * 1000)::bigint), 12, '0') || '7'
        || substr(m.h, 1, 3) || '8' || substr(m.h, 4, 15))::uuid AS id, c.*
FROM created c, LATERAL (SELECT md5('bench-interaction-' || c.g) AS h) m
ORDER BY id;

\echo 'seed: 1,000,000 interactions, inserted'
INSERT INTO interactions (id, district_id, school_id, head_count, kind, channel, summary, outcome, read_level,
                          duration_minutes, occurred_at, referral_to_name, referral_to_role, referral_contact,
                          referral_state, referral_closed_note, referral_closed_at, referral_closed_by_client,
                          satisfaction_rating, satisfaction_comment, version, created_at, created_by_client,
                          created_by_user, updated_at, updated_by_client, updated_by_user)
SELECT id, bench_uuid('bench-district'), school_id, head_count, kind, channel, summary, outcome, read_level,
       duration_minutes, occurred_at, referral_to_name, referral_to_role, referral_contact,
       referral_state, referral_closed_note, referral_closed_at, referral_closed_by_client,
       satisfaction_rating, satisfaction_comment,
       CASE WHEN referral_closed_at IS NULL THEN 1 ELSE 2 END, created_at, 'bench', by_user,
       coalesce(referral_closed_at, created_at), 'bench', by_user
FROM bench_interactions;

\echo 'seed: their patrons (interaction_patrons)'
INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
SELECT t.id, bench_uuid((t.n0 + 10 * k)::text), bench_uuid('bench-district'), t.school_id, t.occurred_at
FROM bench_interactions t, generate_series(0, t.patrons - 1) k;

COMMIT;

\echo 'seed: VACUUM ANALYZE interactions, interaction_patrons'
VACUUM ANALYZE interactions;
VACUUM ANALYZE interaction_patrons;

SELECT (SELECT count(*) FROM interactions) AS interactions,
       (SELECT count(*) FROM interaction_patrons) AS interaction_patrons,
       (SELECT count(*) FROM interactions WHERE referral_state IS NOT NULL) AS referrals;
