-- jixiao on PostgreSQL: the schema the SQLite migrations 0001–0020 arrive at, in the types
-- the shared SQL reads and binds (BIGINT for counts, money in fen and versions; INTEGER for
-- years; BOOLEAN for flags; TEXT for everything written, exact decimals and times included,
-- times as RFC 3339 UTC text). Plain SQL that PostgreSQL-compatible engines share: no
-- advisory locks, no LISTEN/NOTIFY, no extensions (see ARCHITECTURE.md).

-- Every write transaction begins by locking this one row (see `postgres::begin_write`), so
-- writes are serialized as SQLite's BEGIN IMMEDIATE serializes them; reads never wait.
CREATE TABLE write_lock (id INTEGER PRIMARY KEY);
INSERT INTO write_lock (id) VALUES (1);

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('unit', 'department', 'finance')),
    parent_id   TEXT REFERENCES orgs(id)
);

CREATE TABLE forms (
    id                          TEXT PRIMARY KEY,
    year                        INTEGER NOT NULL,
    name                        TEXT NOT NULL,
    nature                      TEXT NOT NULL,
    category                    TEXT NOT NULL,
    department                  TEXT NOT NULL,
    implementer                 TEXT NOT NULL,
    start_date                  TEXT,
    end_date                    TEXT,
    funds_total                 BIGINT,
    funds_fiscal                BIGINT,
    funds_other                 BIGINT,
    funds_annual_total          BIGINT,
    funds_annual_appropriation  BIGINT,
    funds_annual_carryover      BIGINT,
    funds_annual_other          BIGINT,
    goal_overall                TEXT NOT NULL,
    goal_annual                 TEXT NOT NULL,
    version                     BIGINT NOT NULL DEFAULT 1,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL,
    status                      TEXT NOT NULL DEFAULT 'draft',
    unit_id                     TEXT REFERENCES orgs(id),
    updated_by                  TEXT,
    grade                       TEXT,
    warning_light               TEXT CHECK (warning_light IN ('green', 'yellow', 'red')),
    UNIQUE (year, implementer, name)
);
CREATE INDEX forms_unit ON forms(unit_id);
CREATE INDEX forms_status ON forms(status);
CREATE INDEX forms_by_name ON forms(name, id);
CREATE INDEX forms_by_year ON forms(year, id);
CREATE INDEX forms_by_amount ON forms(funds_annual_total, id);
CREATE INDEX forms_by_updated ON forms(updated_at, id);
CREATE INDEX forms_by_department ON forms(department);
CREATE INDEX forms_unit_name ON forms(unit_id, name, id);
CREATE INDEX forms_grade ON forms(grade);
CREATE INDEX forms_light ON forms(warning_light);

CREATE TABLE indicators (
    id          TEXT PRIMARY KEY,
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    level1      TEXT NOT NULL,
    level2      TEXT,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('quantitative', 'qualitative')),
    op          TEXT,
    value       TEXT,
    unit        TEXT,
    subject     TEXT,
    op_implied  BOOLEAN NOT NULL DEFAULT FALSE,
    text        TEXT,
    raw         TEXT NOT NULL,
    weight      TEXT,
    direction   TEXT,
    UNIQUE (form_id, position)
);
CREATE INDEX indicators_name ON indicators(name);

CREATE TABLE findings (
    form_id          TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    version          BIGINT NOT NULL,
    seq              BIGINT NOT NULL,
    code             TEXT NOT NULL,
    severity         TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'hint')),
    field            TEXT NOT NULL,
    indicator_index  BIGINT,
    indicator_id     TEXT,
    indicator        TEXT,
    message          TEXT NOT NULL,
    message_en       TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    fix              TEXT NOT NULL,
    fix_en           TEXT NOT NULL,
    PRIMARY KEY (form_id, version, seq)
);

CREATE TABLE monitoring (
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    period      TEXT NOT NULL,
    end_month   BIGINT NOT NULL,
    report      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (form_id, period)
);

CREATE TABLE self_evaluations (
    form_id     TEXT PRIMARY KEY REFERENCES forms(id) ON DELETE CASCADE,
    evaluation  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'returned', 'approved'))
);
CREATE INDEX self_evaluations_status ON self_evaluations(status);

CREATE TABLE evaluation_transitions (
    seq         BIGSERIAL PRIMARY KEY,
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    comment     TEXT NOT NULL
);
CREATE INDEX evaluation_transitions_form ON evaluation_transitions(form_id, seq);

CREATE TABLE users (
    id                    TEXT PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    role                  TEXT NOT NULL CHECK (role IN ('unit', 'department', 'finance', 'admin', 'auditor')),
    org_id                TEXT REFERENCES orgs(id),
    failed_logins         BIGINT NOT NULL DEFAULT 0,
    locked_until          TEXT,
    created_at            TEXT NOT NULL,
    disabled              BOOLEAN NOT NULL DEFAULT FALSE,
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret           TEXT,
    totp_last_step        BIGINT,
    totp_exempt           BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    last_seen   TEXT,
    ip          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE password_history (
    rowid    BIGSERIAL PRIMARY KEY,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash     TEXT NOT NULL,
    set_at   TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history(user_id, set_at);

CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY,
    attempts      BIGINT NOT NULL,
    locked_until  TEXT
);

CREATE TABLE form_versions (
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    snapshot    TEXT NOT NULL,
    created_by  TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE transitions (
    seq         BIGSERIAL PRIMARY KEY,
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
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

CREATE TABLE settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    form_id       TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    indicator_id  TEXT,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sm3           TEXT NOT NULL,
    data          BYTEA NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);
CREATE INDEX documents_form ON documents(form_id);

-- The indicator library (see sql/library.rs).
CREATE TABLE self_actuals (
    form_id  TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    actual   TEXT NOT NULL
);
CREATE INDEX self_actuals_form ON self_actuals(form_id);
CREATE INDEX self_actuals_name ON self_actuals(name);

CREATE TABLE library_facts (
    name    TEXT NOT NULL,
    level1  TEXT NOT NULL,
    level2  TEXT NOT NULL,
    unit    TEXT NOT NULL,
    fact    TEXT NOT NULL,
    value   TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (name, level1, level2, unit, fact, value)
);
CREATE INDEX library_facts_category ON library_facts(value, n) WHERE fact = 'k';

CREATE TABLE library (
    name           TEXT NOT NULL,
    level1         TEXT NOT NULL,
    level2         TEXT NOT NULL,
    unit           TEXT NOT NULL,
    count          BIGINT NOT NULL,
    implementers   BIGINT NOT NULL,
    first_year     INTEGER NOT NULL,
    last_year      INTEGER NOT NULL,
    usual          TEXT NOT NULL,
    target_min     TEXT, target_median TEXT, target_max TEXT,
    actual_min     TEXT, actual_median TEXT, actual_max TEXT,
    PRIMARY KEY (name, level1, level2, unit)
);
CREATE INDEX library_count ON library(count DESC);

CREATE TABLE library_curation (
    name         TEXT PRIMARY KEY,
    recommended  BOOLEAN NOT NULL DEFAULT FALSE,
    retired      BOOLEAN NOT NULL DEFAULT FALSE,
    merged_into  TEXT,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX library_curation_merged ON library_curation(merged_into);

-- A counter bumped once per statement that changes forms, whichever server ran it: caches of
-- what is derived from the forms (the portfolio's totals) are checked against it.
CREATE TABLE generations (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
INSERT INTO generations (name, value) VALUES ('forms', 0);
CREATE FUNCTION jixiao_forms_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE generations SET value = value + 1 WHERE name = 'forms';
    RETURN NULL;
END
$$;
CREATE TRIGGER forms_generation AFTER INSERT OR UPDATE OR DELETE ON forms
    FOR EACH STATEMENT EXECUTE PROCEDURE jixiao_forms_generation();

-- The audit log: each entry chained to the one before with HMAC-SM3 (column mac), and the
-- database refuses to change, delete or truncate entries.
CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    mac         TEXT
);
CREATE FUNCTION jixiao_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE PROCEDURE jixiao_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE PROCEDURE jixiao_audit_append_only();
