package imago.storage.index.migration;

import imago.core.dicom.PersonNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Fills {@code patient_name_words} (V12) for the patients indexed before it existed: their folded
 * names split into words in Java ({@link PersonNames#words}), the same way ingest splits new ones,
 * which no SQL common to H2 and PostgreSQL could do. Runs once, in batches, in the migration's transaction.
 */
public class V13__PatientNameWords extends BaseJavaMigration {
  private static final int BATCH = 1000;

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    try (PreparedStatement select = c.prepareStatement("SELECT pk, patient_name_fuzzy FROM patients ORDER BY pk");
         PreparedStatement insert = c.prepareStatement(
             "INSERT INTO patient_name_words (word_key, word, patient_pk) VALUES (?, ?, ?)")) {
      select.setFetchSize(BATCH);
      int pending = 0;
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          for (String word : PersonNames.words(rs.getString(2))) {
            insert.setString(1, PersonNames.wordKey(word));
            insert.setString(2, word);
            insert.setLong(3, rs.getLong(1));
            insert.addBatch();
            if (++pending == BATCH) {
              insert.executeBatch();
              pending = 0;
            }
          }
        }
      }
      if (pending > 0) insert.executeBatch();
    }
  }
}
