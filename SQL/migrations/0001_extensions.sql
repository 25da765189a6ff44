-- 0001: extensions every later migration may rely on.
-- pgcrypto: bcrypt password hashes (crypt/gen_salt) and random session tokens (gen_random_bytes).
-- It is a trusted extension since PostgreSQL 13, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
