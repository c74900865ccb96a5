-- Imago index, version 9: a shadow job and a clinical job of the same series, version and input
-- are two jobs (issue 13). When a shadow version is promoted to primary, the series it already ran
-- on in shadow get their clinical job (and their SR/SEG) instead of finding the shadow one.
ALTER TABLE inference_jobs DROP CONSTRAINT inference_jobs_once;
ALTER TABLE inference_jobs ADD CONSTRAINT inference_jobs_once UNIQUE (tenant_id, series_uid, model_name, model_version,
  input_key, shadow);
