-- Signed-in operators of the admin pages (issue 13). Only the SHA-256 of
-- the cookie is kept, so a copy of the database opens no session.
-- CreateSession deletes expired rows, so the table holds only live sessions:
-- a handful, which the prune reads whole without an index on expires_at.
CREATE TABLE admin_sessions (
    hash         TEXT PRIMARY KEY,    -- hex SHA-256 of the cookie value
    token_digest TEXT NOT NULL,       -- of the admin token it was opened with
    expires_at   INTEGER NOT NULL     -- Unix milliseconds
) STRICT, WITHOUT ROWID;
