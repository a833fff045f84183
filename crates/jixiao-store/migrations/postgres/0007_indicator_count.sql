-- The number of a form's indicators, kept on the form by every write of it (`write_forms`),
-- so that a list page reads one row per form instead of counting each form's indicators.
ALTER TABLE forms ADD COLUMN indicator_count BIGINT NOT NULL DEFAULT 0;
UPDATE forms SET indicator_count = (SELECT count(*) FROM indicators i WHERE i.form_id = forms.id);
