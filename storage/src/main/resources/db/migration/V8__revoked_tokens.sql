-- Imago index, version 8: bearer tokens revoked before they expire (issue 13), by their jti.
-- A row can go once the token it names has expired (expires_at), since an expired token is refused anyway.
CREATE TABLE revoked_tokens (
  jti          VARCHAR(255) PRIMARY KEY,
  revoked_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at   TIMESTAMP WITH TIME ZONE
);
