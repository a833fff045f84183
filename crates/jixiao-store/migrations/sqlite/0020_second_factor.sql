-- A second factor (TOTP, RFC 6238) per account: its secret (base32, as the user's app holds
-- it), the last time step used (a code is good once), and whether the account is exempt (the
-- demo's accounts).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE users ADD COLUMN totp_exempt INTEGER NOT NULL DEFAULT 0;
