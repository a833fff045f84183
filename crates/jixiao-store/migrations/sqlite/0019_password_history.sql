-- The hashes of each user's last passwords: a new password may not repeat one of them.
CREATE TABLE password_history (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash     TEXT NOT NULL,
    set_at   TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history(user_id, set_at);
INSERT INTO password_history (user_id, hash, set_at) SELECT id, password_hash, created_at FROM users;
