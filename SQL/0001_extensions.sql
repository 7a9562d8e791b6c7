-- Extensions the schema relies on: btree_gist lets exclusion constraints combine an id with a time range (no double-booked rooms).
CREATE EXTENSION IF NOT EXISTS btree_gist;
