-- Account administration: an account can be disabled (it cannot sign in, its sessions end),
-- and a password set by an administrator must be changed at the next sign-in.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
