-- Imago index, version 10: the tenant whose copy of a study was accessed (issue 13). Two tenants may
-- hold the same Study Instance UID; a tenant's audit lists the accesses to its own copy, whoever
-- made them (its users, or the people it shared the study with), and nothing of another's.
ALTER TABLE audit ADD COLUMN owner_tenant_id VARCHAR(64);
CREATE INDEX audit_owner_study ON audit (owner_tenant_id, study_uid, at);
