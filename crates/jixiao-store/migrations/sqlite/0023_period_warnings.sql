-- A monitoring report keeps how many red and yellow warnings it raised, so the dashboard
-- counts them in the database instead of re-reading every report and form. Reports from
-- before are counted once when the store opens (`counted`).
ALTER TABLE monitoring ADD COLUMN red INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitoring ADD COLUMN yellow INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitoring ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX monitoring_month ON monitoring(end_month);
