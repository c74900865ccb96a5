-- Imago index, version 11: how far the audit trail has been exported (issue 13: DICOM audit
-- messages to syslog). One row per destination ('syslog'), made by the exporter when export is
-- first turned on: the last audit row sent, and the process that holds the export until its
-- lease ends (one exporter per deployment, however many processes run).
CREATE TABLE audit_export (
  name         VARCHAR(32) PRIMARY KEY,
  last_pk      BIGINT       NOT NULL,
  holder       VARCHAR(128),
  lease_until  TIMESTAMP WITH TIME ZONE
);
