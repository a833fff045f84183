-- The indicators typical of a project category are found from the category's facts (fact
-- 'k'), most filed first, without visiting every library entry.
CREATE INDEX library_facts_by_value ON library_facts(fact, value, n);

-- Sign-in attempts by username (whether or not it exists) and by address, counted before
-- the password is checked: a burst of guesses is refused once over the limit, the right
-- password too, until the lock ends; and a lock-out says nothing about whether an account
-- exists. Keys: 'u:' || username as typed, 'a:' || address.
CREATE TABLE login_throttle (
    key           TEXT PRIMARY KEY,
    attempts      INTEGER NOT NULL,
    locked_until  TEXT
);
