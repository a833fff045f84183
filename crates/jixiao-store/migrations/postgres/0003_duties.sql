-- Separation of duties (三权分立): two more administrators, the security administrator
-- (`security`) and the audit administrator (`audit_admin`), in the roles' CHECK; and grants,
-- the requests for a privileged role (or a privileged account's credentials reset) that wait
-- for a second administrator's approval.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('unit', 'department', 'finance', 'admin', 'security', 'audit_admin', 'auditor'));

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
