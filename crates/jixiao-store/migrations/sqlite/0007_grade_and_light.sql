-- What the portfolio filters on beside the form itself: the grade of its latest
-- self-evaluation and the worst warning light of its latest monitoring period.
ALTER TABLE forms ADD COLUMN grade TEXT;
ALTER TABLE forms ADD COLUMN warning_light TEXT CHECK (warning_light IN ('green', 'yellow', 'red'));
CREATE INDEX forms_grade ON forms(grade);
CREATE INDEX forms_light ON forms(warning_light);
