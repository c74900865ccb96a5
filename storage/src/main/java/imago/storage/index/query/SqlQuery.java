package imago.storage.index.query;

import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Runs {@link QueryRequest}s against the SQL index (H2 in PostgreSQL mode or PostgreSQL, same SQL):
 * one statement per query, over indexed columns and the per-study/series summaries only, so a
 * search never reads a stored object.
 */
public final class SqlQuery {
  private final DataSource ds;

  public SqlQuery(DataSource ds) {
    this.ds = ds;
  }

  public QueryResult run(Scope scope, QueryRequest q) throws SqlUnavailableException, InvalidQueryException {
    QuerySql.Statement statement = QuerySql.compile(scope, q);
    List<QueryMatch> matches = new ArrayList<>();
    try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(statement.sql())) {
      List<Object> args = statement.args();
      for (int n = 0; n < args.size(); n++) ps.setObject(n + 1, args.get(n));
      try (ResultSet rs = ps.executeQuery()) {
        boolean more = false;
        while (rs.next()) {
          if (matches.size() == q.limit()) { // the one extra row fetched: more lie beyond this page
            more = true;
            break;
          }
          matches.add(row(q.level(), statement.columns(), rs));
        }
        return new QueryResult(matches, more);
      }
    } catch (SQLException e) {
      throw new SqlUnavailableException("index query failed: " + e.getMessage(), e);
    }
  }

  private static QueryMatch row(QueryLevel level, List<QueryAttribute> columns, ResultSet rs) throws SQLException {
    Map<Integer, String> values = new TreeMap<>(Integer::compareUnsigned);
    for (int n = 0; n < columns.size(); n++) {
      String v = rs.getString(n + 1);
      values.put(columns.get(n).tag(), v == null ? "" : v.trim());
    }
    return new QueryMatch(level, values);
  }
}
