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

-- The audit log is kept for its retention (the audit administrator's; at least 184 days, six
-- months by 网络安全法). A purge deletes the oldest entries after making the last of them the
-- chain's anchor (settings `audit_anchor_seq`, `audit_anchor_mac`), so what is left still
-- verifies. The database still refuses every change, truncation, and every deletion but of an
-- entry both older than 184 days and not past the anchor.
CREATE OR REPLACE FUNCTION jixiao_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.at < to_char((now() AT TIME ZONE 'UTC') - interval '184 days', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
           AND OLD.seq <= coalesce((SELECT value::bigint FROM settings WHERE name = 'audit_anchor_seq'), 0) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: only entries older than 184 days, up to the purge anchor, may be deleted';
END
$$;
