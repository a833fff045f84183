-- Sessions end after a time without use (besides their absolute end), and a user sees and
-- ends their own: when each was last used, and from where.
ALTER TABLE sessions ADD COLUMN last_seen TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user ON sessions(user_id);
