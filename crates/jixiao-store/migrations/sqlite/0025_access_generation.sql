-- A counter bumped by every change to who may do what: accounts (role, organisation,
-- disabling, second factor, password), sessions ended, organisations. A server caches
-- sessions and the organisation tree against it and knows with one cheap read, whichever
-- server made the change, whether its cache still holds. Sessions noted as used (last_seen)
-- and sessions begun do not bump it: neither can make a cached session wrong.
INSERT INTO generations (name, value) VALUES ('access', 0);
CREATE TRIGGER access_generation_users_update AFTER UPDATE ON users
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'access'; END;
CREATE TRIGGER access_generation_users_delete AFTER DELETE ON users
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'access'; END;
CREATE TRIGGER access_generation_sessions_delete AFTER DELETE ON sessions
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'access'; END;
CREATE TRIGGER access_generation_orgs_insert AFTER INSERT ON orgs
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'access'; END;
CREATE TRIGGER access_generation_orgs_update AFTER UPDATE ON orgs
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'access'; END;
CREATE TRIGGER access_generation_orgs_delete AFTER DELETE ON orgs
    BEGIN UPDATE generations SET value = value + 1 WHERE name = 'access'; END;
