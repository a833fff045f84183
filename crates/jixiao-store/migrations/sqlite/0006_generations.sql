-- A counter bumped by every change to forms, so a server can cache what it derives from them
-- (the portfolio's totals) and know, with one cheap read, whether the cache still holds,
-- whichever server made the change.
CREATE TABLE generations (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO generations (name, value) VALUES ('forms', 0);
CREATE TRIGGER forms_generation_insert AFTER INSERT ON forms
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'forms'; END;
CREATE TRIGGER forms_generation_update AFTER UPDATE ON forms
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'forms'; END;
CREATE TRIGGER forms_generation_delete AFTER DELETE ON forms
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'forms'; END;
