DROP TABLE interaction_patrons;
DROP TABLE interactions;
ALTER TABLE patrons DROP CONSTRAINT patrons_district_id_id_key;
