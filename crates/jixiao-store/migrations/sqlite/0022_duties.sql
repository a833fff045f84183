-- Separation of duties (三权分立): two more administrators, the security administrator
-- (`security`) and the audit administrator (`audit_admin`), in the roles' CHECK; and grants,
-- the requests for a privileged role (or a privileged account's credentials reset) that wait
-- for a second administrator's approval.
--
-- SQLite cannot change a CHECK constraint, so `users` is built again. This runs in a
-- transaction with foreign keys on, where dropping `users` deletes its rows first and that
-- delete cascades to `sessions` and `password_history`: their rows are kept aside first and
-- put back after (password_history with its rowids, which order it).
CREATE TEMP TABLE keep_sessions AS SELECT * FROM sessions;
CREATE TEMP TABLE keep_password_history AS
    SELECT rowid AS rid, user_id, hash, set_at FROM password_history;

CREATE TABLE users_new (
    id                    TEXT PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    role                  TEXT NOT NULL CHECK (role IN ('unit', 'department', 'finance', 'admin', 'security', 'audit_admin', 'auditor')),
    org_id                TEXT REFERENCES orgs(id),
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          TEXT,
    created_at            TEXT NOT NULL,
    disabled              INTEGER NOT NULL DEFAULT 0,
    must_change_password  INTEGER NOT NULL DEFAULT 0,
    totp_secret           TEXT,
    totp_last_step        INTEGER,
    totp_exempt           INTEGER NOT NULL DEFAULT 0
);
INSERT INTO users_new (id, username, display_name, password_hash, role, org_id, failed_logins,
                       locked_until, created_at, disabled, must_change_password, totp_secret,
                       totp_last_step, totp_exempt)
    SELECT id, username, display_name, password_hash, role, org_id, failed_logins,
           locked_until, created_at, disabled, must_change_password, totp_secret,
           totp_last_step, totp_exempt
    FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at, last_seen, ip)
    SELECT token_hash, user_id, csrf, created_at, expires_at, last_seen, ip FROM keep_sessions;
INSERT INTO password_history (rowid, user_id, hash, set_at)
    SELECT rid, user_id, hash, set_at FROM keep_password_history;
DROP TABLE keep_sessions;
DROP TABLE keep_password_history;

CREATE TABLE grants (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('create', 'role', 'reset_password', 'reset_totp')),
    user_id         TEXT NOT NULL,
    username        TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    from_role       TEXT,
    role            TEXT NOT NULL,
    org_id          TEXT,
    -- The new password of a `create` or `reset_password` grant, until it is decided.
    password_hash   TEXT,
    requested_by    TEXT NOT NULL,
    requester_role  TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by      TEXT,
    decided_at      TEXT,
    comment         TEXT NOT NULL DEFAULT ''
);
-- One pending grant per account at a time.
CREATE UNIQUE INDEX grants_pending ON grants(username) WHERE status = 'pending';
CREATE INDEX grants_requested ON grants(requested_at);

-- The audit log is kept for its retention (the audit administrator's; at least 184 days, six
-- months by 网络安全法). A purge deletes the oldest entries after making the last of them the
-- chain's anchor (settings `audit_anchor_seq`, `audit_anchor_mac`), so what is left still
-- verifies. The database still refuses every change, and every deletion but of an entry both
-- older than 184 days and not past the anchor.
DROP TRIGGER audit_no_delete;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
WHEN OLD.at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-184 days')
  OR OLD.seq > coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'audit_anchor_seq'), 0)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: only entries older than 184 days, up to the purge anchor, may be deleted');
END;
