-- The small JPEGs (48 to 128 px, 1 to 4 KB: what desk screens and rosters pull most) stay in
-- photo_blobs' own rows instead of going out to its TOAST table, which would cost every read a
-- second index lookup; and no JPEG is run through compression, which never shrinks one.
ALTER TABLE photo_blobs SET (toast_tuple_target = 8160);
ALTER TABLE photo_blobs ALTER COLUMN data SET STORAGE EXTERNAL;
