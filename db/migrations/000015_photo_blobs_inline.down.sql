ALTER TABLE photo_blobs ALTER COLUMN data SET STORAGE EXTENDED;
ALTER TABLE photo_blobs RESET (toast_tuple_target);
