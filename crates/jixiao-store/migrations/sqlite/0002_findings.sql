-- Review findings, kept with the version of the form they were found on.
CREATE TABLE findings (
    form_id          TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    version          INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    code             TEXT NOT NULL,
    severity         TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'hint')),
    field            TEXT NOT NULL,
    indicator_index  INTEGER,
    indicator_id     TEXT,
    indicator        TEXT,
    message          TEXT NOT NULL,
    message_en       TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    fix              TEXT NOT NULL,
    fix_en           TEXT NOT NULL,
    PRIMARY KEY (form_id, version, seq)
);
