package imago.storage.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** Patients indexed before the word index existed (V12) get their words from the Java migration V13. */
class PatientNameWordsMigrationTest {
  @Test
  void patientsIndexedBeforeTheWordIndexAreFoundByItAfterTheUpgrade() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:words-" + System.nanoTime() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(ds).locations("classpath:db/migration", "classpath:imago/storage/index/migration")
        .target("11").load().migrate();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO patients (tenant_id, patient_id, issuer, patient_name, patient_name_fuzzy, created_at) "
          + "VALUES ('demo', 'P1', '', 'd''Amico-Rossi^Nicolò', 'D''AMICO-ROSSI^NICOLO', CURRENT_TIMESTAMP)");
    }
    Flyway.configure().dataSource(ds).locations("classpath:db/migration", "classpath:imago/storage/index/migration")
        .load().migrate();
    List<String> words = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT word FROM patient_name_words ORDER BY word")) {
      while (rs.next()) words.add(rs.getString(1));
    }
    assertEquals(List.of("AMICO", "D", "NICOLO", "ROSSI"), words);
    DriverManager.getConnection(ds.getURL()).createStatement().execute("SHUTDOWN");
  }
}
