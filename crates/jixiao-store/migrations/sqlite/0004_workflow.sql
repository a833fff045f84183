-- Organisations, users, sessions, the review workflow, form versions and the audit log.
CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('unit', 'department', 'finance')),
    parent_id   TEXT REFERENCES orgs(id)
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('unit', 'department', 'finance', 'admin', 'auditor')),
    org_id          TEXT REFERENCES orgs(id),
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

ALTER TABLE forms ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE forms ADD COLUMN unit_id TEXT REFERENCES orgs(id);
ALTER TABLE forms ADD COLUMN updated_by TEXT;
CREATE INDEX forms_unit ON forms(unit_id);
CREATE INDEX forms_status ON forms(status);

-- Every saved version of a form, whole, so old versions stay readable and can be compared.
CREATE TABLE form_versions (
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    snapshot    TEXT NOT NULL,
    created_by  TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE transitions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    comment     TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX transitions_form ON transitions(form_id, seq);
CREATE INDEX transitions_actor ON transitions(actor);

-- Insert-only: no route updates or deletes these rows.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL
);
