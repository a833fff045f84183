-- A counter bumped once per statement that changes who may do what: accounts (role,
-- organisation, disabling, second factor, password), sessions ended, organisations. A server
-- caches sessions and the organisation tree against it and knows with one cheap read,
-- whichever server made the change, whether its cache still holds. Sessions noted as used
-- (last_seen) and sessions begun do not bump it: neither can make a cached session wrong.
INSERT INTO generations (name, value) VALUES ('access', 0);
CREATE FUNCTION jixiao_access_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE generations SET value = value + 1 WHERE name = 'access';
    RETURN NULL;
END
$$;
CREATE TRIGGER access_generation_users AFTER UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE PROCEDURE jixiao_access_generation();
CREATE TRIGGER access_generation_sessions AFTER DELETE ON sessions
    FOR EACH STATEMENT EXECUTE PROCEDURE jixiao_access_generation();
CREATE TRIGGER access_generation_orgs AFTER INSERT OR UPDATE OR DELETE ON orgs
    FOR EACH STATEMENT EXECUTE PROCEDURE jixiao_access_generation();
