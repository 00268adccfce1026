-- Signed-in operators of the admin pages (issue 13), shared by every
-- instance, so that sign-out on one ends the session on all. Only the
-- SHA-256 of the cookie is kept, so a copy of the database opens no session.
-- CreateSession deletes expired rows, so the table holds only live sessions:
-- a handful, which the prune reads whole without an index on expires_at.
CREATE TABLE admin_sessions (
    hash         text PRIMARY KEY,    -- hex SHA-256 of the cookie value
    token_digest text NOT NULL,       -- of the admin token it was opened with
    expires_at   timestamptz NOT NULL
);
