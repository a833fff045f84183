-- A monitoring report keeps how many red and yellow warnings it raised (see the SQLite
-- migration 0023).
ALTER TABLE monitoring ADD COLUMN red BIGINT NOT NULL DEFAULT 0;
ALTER TABLE monitoring ADD COLUMN yellow BIGINT NOT NULL DEFAULT 0;
ALTER TABLE monitoring ADD COLUMN counted BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX monitoring_month ON monitoring(end_month);
