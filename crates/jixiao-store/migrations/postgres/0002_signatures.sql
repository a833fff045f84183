-- Signed approvals: each department or finance approval and each publication signs the form's
-- content. `text` is what was signed, verbatim (form, version, action, signer, time and the
-- SM3 digest of the form at that version, one `key: value` per line; see
-- jixiao-core/src/signature.rs), `signature` its SM2 signature (r ‖ s) and `public_key` the
-- signing key's public half (SEC1 uncompressed), both hexadecimal. A signature belongs to the
-- transition it was made with (`seq`), written in the same transaction. The database refuses
-- to change, delete or truncate one.
CREATE TABLE signatures (
    seq         BIGINT PRIMARY KEY REFERENCES transitions(seq),
    form_id     TEXT NOT NULL REFERENCES forms(id),
    text        TEXT NOT NULL,
    signature   TEXT NOT NULL,
    public_key  TEXT NOT NULL
);
CREATE INDEX signatures_form ON signatures(form_id, seq);

CREATE FUNCTION jixiao_signatures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signatures are append-only';
END
$$;
CREATE TRIGGER signatures_no_update BEFORE UPDATE OR DELETE ON signatures
    FOR EACH ROW EXECUTE PROCEDURE jixiao_signatures_append_only();
CREATE TRIGGER signatures_no_truncate BEFORE TRUNCATE ON signatures
    FOR EACH STATEMENT EXECUTE PROCEDURE jixiao_signatures_append_only();
