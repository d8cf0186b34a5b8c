DROP INDEX access_log_client_idx;
ALTER TABLE access_log DROP COLUMN detail;
DELETE FROM changes WHERE resource = 'photo';
ALTER TABLE changes DROP CONSTRAINT changes_photo_check;
ALTER TABLE changes DROP CONSTRAINT changes_event_check;
ALTER TABLE changes ADD CONSTRAINT changes_event_check CHECK (event IN ('created', 'updated', 'deleted'));
ALTER TABLE changes DROP CONSTRAINT changes_resource_check;
ALTER TABLE changes ADD CONSTRAINT changes_resource_check CHECK (resource IN
    ('school', 'patron', 'note', 'interaction', 'feedback_item', 'campaign', 'pledge', 'client'));
ALTER TABLE changes DROP COLUMN photo_purposes, DROP COLUMN photo_consent;
DROP TABLE photo_reads_daily;
ALTER TABLE api_clients DROP COLUMN photo_purpose, DROP COLUMN photo_daily_cap, DROP COLUMN photo_url_secret;
DROP FUNCTION photo_consented(uuid, uuid, text, text);
DROP TABLE photo_consent_defaults;
DROP TABLE photo_consents;
DROP TABLE photo_variants;
DROP TABLE photos;
DROP TABLE photo_blobs;
DROP TABLE photo_imports;
