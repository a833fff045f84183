-- In-year monitoring reports, one per form and period, and the year-end self-evaluation.
-- Both are kept as JSON documents of the core types: they are read and written whole.
CREATE TABLE monitoring (
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    period      TEXT NOT NULL,
    end_month   INTEGER NOT NULL,
    report      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (form_id, period)
);

CREATE TABLE self_evaluations (
    form_id     TEXT PRIMARY KEY REFERENCES forms(id) ON DELETE CASCADE,
    evaluation  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
