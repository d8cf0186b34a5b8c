-- create-interaction: the baseline's single statement, prepared: a reference question of a
-- random patron n at the patron's school (1 + n % 10, seed.sql), the interaction and its row in
-- interaction_patrons written together. The id is a UUIDv7 made in SQL (PostgreSQL 15 has no
-- uuidv7()), so that the primary key grows at its right edge as with the servers' ids.
\set n random(1, 100000)
WITH i AS (
    INSERT INTO interactions (id, district_id, school_id, head_count, kind, channel, summary, outcome,
                              read_level, duration_minutes, occurred_at, created_by_client, updated_by_client)
    VALUES ((lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
             || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid,
            :district, bench_uuid('bench-school-' || (1 + :n % 10)), 1, 'reference', 'in_person',
            'Where the atlases are', 'answered', 2, 5, now(), 'bench', 'bench')
    RETURNING id, district_id, school_id, occurred_at, created_at, created_by_client, updated_at, updated_by_client
), linked AS (
    INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
    SELECT i.id, bench_uuid(:n::text), i.district_id, i.school_id, i.occurred_at
    FROM i
)
SELECT id, occurred_at, created_at, created_by_client, updated_at, updated_by_client FROM i;
