-- The self-evaluation is reviewed like the form: a status on it and its own history.
ALTER TABLE self_evaluations ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'submitted', 'returned', 'approved'));
CREATE INDEX self_evaluations_status ON self_evaluations(status);

CREATE TABLE evaluation_transitions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    form_id     TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    comment     TEXT NOT NULL
);
CREATE INDEX evaluation_transitions_form ON evaluation_transitions(form_id, seq);
