-- What a photo import matched its pictures by, and the school it was limited to (issue 14).
ALTER TABLE photo_imports
    ADD COLUMN id_type text NOT NULL DEFAULT 'sis_id' CHECK (id_type IN ('sourced_id', 'sis_id', 'barcode', 'lms_id')),
    ADD COLUMN school_id uuid,
    ADD CONSTRAINT photo_imports_school_fkey FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id);
