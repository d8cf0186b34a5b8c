DROP TABLE idempotency_keys;
DROP TRIGGER access_log_append_only ON access_log;
DROP FUNCTION access_log_append_only();
DROP TABLE access_log;
DROP TABLE notes;
DROP TABLE patrons;
DROP FUNCTION fold_name(text);
DROP EXTENSION unaccent;
DROP EXTENSION pg_trgm;
