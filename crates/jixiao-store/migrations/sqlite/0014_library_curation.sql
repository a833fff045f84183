-- Curation of the indicator library by an administrator, by indicator name: recommended
-- names come first in suggestions, retired names are no longer suggested, and a name merged
-- into another (a variant spelling) is suggested as that other name.
CREATE TABLE library_curation (
    name         TEXT PRIMARY KEY,
    recommended  INTEGER NOT NULL DEFAULT 0,
    retired      INTEGER NOT NULL DEFAULT 0,
    merged_into  TEXT,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX library_curation_merged ON library_curation(merged_into);

-- The library now also counts the project category (项目类别) of the forms filing each
-- indicator (fact 'k'): emptied here, it is rebuilt from the stored forms when the store opens.
DELETE FROM library_facts;
DELETE FROM library;
