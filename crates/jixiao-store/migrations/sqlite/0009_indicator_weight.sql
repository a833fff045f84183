-- The weight (权重 / 分值) and direction (指标方向性) columns some provinces' target forms
-- carry: kept as written (the weight as an exact decimal string), NULL when not given.
ALTER TABLE indicators ADD COLUMN weight TEXT;
ALTER TABLE indicators ADD COLUMN direction TEXT;
