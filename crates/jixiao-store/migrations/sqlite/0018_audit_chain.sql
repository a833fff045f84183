-- The audit log is tamper-evident: each entry carries the HMAC-SM3 of the entry before it and
-- its own fields, under a key kept outside the database (see jixiao-core/src/crypto.rs), and
-- the database itself refuses to change or delete an entry. Entries from before this
-- migration have no link; `jixiao audit verify` reports them as unchained.
ALTER TABLE audit ADD COLUMN mac TEXT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
