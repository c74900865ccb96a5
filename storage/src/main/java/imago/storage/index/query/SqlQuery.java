package imago.storage.index.query;

import imago.storage.index.Jdbc;
import imago.storage.index.Scope;
import imago.storage.index.SqlUnavailableException;
import java.sql.ResultSet;
import java.sql.SQLException;
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
    List<QueryMatch> rows = Jdbc.autoCommit(ds, "index query", c -> Jdbc.query(c, statement.sql(),
        rs -> row(q.level(), statement.columns(), rs), statement.args().toArray()));
    // The statement fetches one row more than the page: if it came, more matches lie beyond.
    boolean more = rows.size() > q.limit();
    return new QueryResult(more ? rows.subList(0, q.limit()) : rows, more);
  }

  private static QueryMatch row(QueryLevel level, List<QueryAttribute> columns, ResultSet rs) throws SQLException {
    Map<Integer, String> values = new TreeMap<>(Integer::compareUnsigned);
    for (int n = 0; n < columns.size(); n++) {
      String v = rs.getString(n + 1);
      values.put(columns.get(n).tag(), v == null ? "" : v.trim());
    }
    return new QueryMatch(level, values, rs.getString(columns.size() + 1));
  }
}
