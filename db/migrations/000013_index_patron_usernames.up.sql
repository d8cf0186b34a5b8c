-- Signed photo URLs name a patron by the user name school devices sign in with: the e-mail
-- address, or the part of it before the @ (internal/postgres/photo.go, patronRefCondition).
CREATE INDEX patrons_district_email_idx ON patrons (district_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX patrons_district_username_idx ON patrons (district_id, lower(split_part(email, '@', 1))) WHERE email IS NOT NULL;
