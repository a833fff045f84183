-- Target forms and their indicators. Money is integer fen; decimals are exact text.
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
    funds_total                 INTEGER,
    funds_fiscal                INTEGER,
    funds_other                 INTEGER,
    funds_annual_total          INTEGER,
    funds_annual_appropriation  INTEGER,
    funds_annual_carryover      INTEGER,
    funds_annual_other          INTEGER,
    goal_overall                TEXT NOT NULL,
    goal_annual                 TEXT NOT NULL,
    version                     INTEGER NOT NULL DEFAULT 1,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL,
    -- What identifies a form: the year, the implementing unit and the project name.
    UNIQUE (year, implementer, name)
);

CREATE TABLE indicators (
    id          TEXT PRIMARY KEY,
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    level1      TEXT NOT NULL,
    level2      TEXT,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('quantitative', 'qualitative')),
    op          TEXT,
    value       TEXT,
    unit        TEXT,
    subject     TEXT,
    op_implied  INTEGER NOT NULL DEFAULT 0,
    text        TEXT,
    raw         TEXT NOT NULL,
    UNIQUE (form_id, position)
);
