-- Imago index, version 12: fuzzy person-name matching by index (issue 13: bounded query cost).
-- One row per word of a patient's folded name; QIDO-RS fuzzymatching finds patients by word prefix
-- with a range over this index instead of a LIKE '%...' scan of every patient. Filled at ingest for
-- new patients, and for existing ones by the Java migration V13.
-- word_key is the word's UTF-8 bytes in upper-case hex: its order is the same under every collation
-- a database may have (C, C.UTF-8, en_US...), so a prefix is always one index range.
CREATE TABLE patient_name_words (
  word_key    VARCHAR(256) NOT NULL,
  word        VARCHAR(128) NOT NULL,
  patient_pk  BIGINT       NOT NULL REFERENCES patients (pk) ON DELETE CASCADE,
  PRIMARY KEY (word_key, patient_pk)
);
CREATE INDEX patient_name_words_patient ON patient_name_words (patient_pk);
