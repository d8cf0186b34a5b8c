ALTER TABLE photo_imports DROP CONSTRAINT photo_imports_school_fkey, DROP COLUMN school_id, DROP COLUMN id_type;
