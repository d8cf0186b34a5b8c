DROP TABLE cursor_secret;
