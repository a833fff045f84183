-- Supporting documents (佐证材料): files attached to a form, optionally to one indicator's
-- actual value, kept whole with their SM3 digest so that a download can be checked.
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    form_id       TEXT NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
    indicator_id  TEXT,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sm3           TEXT NOT NULL,
    data          BLOB NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL
);
CREATE INDEX documents_form ON documents(form_id);
