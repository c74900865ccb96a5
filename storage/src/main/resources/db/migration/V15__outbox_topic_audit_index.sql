-- Imago index, version 15.
-- Each durable consumer reads one topic from its cursor: without this index every read scanned the
-- whole outbox (instance.stored alone is a row per instance for outboxRetention).
CREATE INDEX outbox_topic ON outbox (topic, txid, seq);
-- No query can use it: the audit of a study is looked up by study_uid and COALESCE(owner_tenant_id,
-- tenant_id), which audit_study (study_uid, at) serves; and every read writes rows into it (invariant 7).
DROP INDEX audit_owner_study;
