-- patron-history: what Rapport's ListPatronInteractions sends for the first page of a random
-- patron's history (internal/postgres/interaction.go): the patron's scope check (getPatron),
-- then the page of 50 (51 rows, to know whether another follows) through the history index,
-- each interaction with its patrons. Two statements, as the servers send them.
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
SELECT i.id, i.district_id, i.school_id, i.head_count, i.kind, i.channel,
       coalesce(i.summary, ''), coalesce(i.outcome, ''), coalesce(i.read_level, 0), coalesce(i.duration_minutes, 0),
       i.occurred_at, i.referral_to_name, i.referral_to_role, coalesce(i.referral_contact, ''), i.referral_state,
       coalesce(i.referral_closed_note, ''), i.referral_closed_at, coalesce(i.referral_closed_by_client, ''),
       coalesce(i.referral_closed_by_user, ''), i.satisfaction_rating, coalesce(i.satisfaction_comment, ''),
       i.version, i.created_at, i.created_by_client, coalesce(i.created_by_user, ''),
       i.updated_at, i.updated_by_client, coalesce(i.updated_by_user, ''),
       ARRAY(SELECT x.patron_id FROM interaction_patrons x WHERE x.interaction_id = i.id ORDER BY x.patron_id)
  FROM interaction_patrons ip JOIN interactions i ON i.id = ip.interaction_id
 WHERE ip.patron_id = bench_uuid(:n::text) AND i.district_id = :district
 ORDER BY ip.occurred_at DESC, ip.interaction_id DESC
 LIMIT 51;
