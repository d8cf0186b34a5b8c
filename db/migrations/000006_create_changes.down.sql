DROP TABLE changes_purged;
DROP TABLE changes;
