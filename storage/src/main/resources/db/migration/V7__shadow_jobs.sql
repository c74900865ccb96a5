-- Imago index, version 7: a job of a shadow version (issue 13). Its results are for the model's
-- owners and admins only: no DICOM result objects in the clinical study, none in FSE links,
-- their FHIR Bundle, KOS or download, nor in notifications. Fixed when the job is made, so a
-- version promoted to primary later does not turn its shadow results clinical.
ALTER TABLE inference_jobs ADD COLUMN shadow BOOLEAN NOT NULL DEFAULT FALSE;
