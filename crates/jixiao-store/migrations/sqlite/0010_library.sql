-- The indicator library (指标库): every indicator ever filed, one entry per name, level and
-- unit, with how often it was filed and the range of its targets and actuals. It is kept
-- up to date in the transaction that writes a form or a self-evaluation (see library.rs):
-- the write subtracts what the forms contributed before and adds what they contribute now,
-- so every app server reads the same library and a save costs the same with 100 forms or
-- 100,000.
CREATE INDEX indicators_name ON indicators(name);

-- The actual values of the self-evaluations, by indicator name, as typed.
CREATE TABLE self_actuals (
    form_id  TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    actual   TEXT NOT NULL
);
CREATE INDEX self_actuals_form ON self_actuals(form_id);
CREATE INDEX self_actuals_name ON self_actuals(name);
INSERT INTO self_actuals (form_id, name, actual)
    SELECT s.form_id, json_extract(j.value, '$.name'), json_extract(j.value, '$.actual')
    FROM self_evaluations s, json_each(s.evaluation, '$.indicators') j
    WHERE json_extract(j.value, '$.name') IS NOT NULL AND json_extract(j.value, '$.actual') IS NOT NULL;

-- What the library is counted from, so that a write changes only what it touches: for each
-- entry (name, level1, level2, unit), how many indicators (fact 'c', value ''), and how often
-- each target value ('t'), actual quantity ('a'), written target ('r'), implementer ('u')
-- and year ('y') occurs.
CREATE TABLE library_facts (
    name    TEXT NOT NULL,
    level1  TEXT NOT NULL,
    level2  TEXT NOT NULL,
    unit    TEXT NOT NULL,
    fact    TEXT NOT NULL,
    value   TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (name, level1, level2, unit, fact, value)
) WITHOUT ROWID;

CREATE TABLE library (
    name           TEXT NOT NULL,
    level1         TEXT NOT NULL,
    level2         TEXT NOT NULL,  -- '' when the form gave none
    unit           TEXT NOT NULL,  -- '' for qualitative targets
    count          INTEGER NOT NULL,
    implementers   INTEGER NOT NULL,
    first_year     INTEGER NOT NULL,
    last_year      INTEGER NOT NULL,
    usual          TEXT NOT NULL,  -- the target most often written, as written
    target_min     TEXT, target_median TEXT, target_max TEXT,   -- exact decimals
    actual_min     TEXT, actual_median TEXT, actual_max TEXT,
    PRIMARY KEY (name, level1, level2, unit)
);
CREATE INDEX library_count ON library(count DESC);
