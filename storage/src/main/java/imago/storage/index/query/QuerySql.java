package imago.storage.index.query;

import imago.storage.index.Scope;
import imago.storage.index.query.QueryAttribute.Matching;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link QueryRequest} into one SELECT over the index's columns: the level's tables
 * joined upwards (instances -> series -> studies -> patients), the caller's {@link Scope}, one
 * condition per matching key, a stable order and the page. Pure: no connection needed.
 */
final class QuerySql {

  /** The SQL, its parameters in order, and the attribute each selected column holds. */
  record Statement(String sql, List<Object> args, List<QueryAttribute> columns) {}

  private QuerySql() {}

  static Statement compile(Scope scope, QueryRequest q) throws InvalidQueryException {
    List<QueryAttribute> columns = QueryAttributes.returnedAt(q.level());
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int n = 0; n < columns.size(); n++) sql.append(n == 0 ? "" : ", ").append(columns.get(n).column());
    // whose copy each match is (a patient's studies in scope are all of one tenant: its own, or one that shared)
    sql.append(q.level() == QueryLevel.PATIENT ? ", MIN(st.tenant_id)" : ", st.tenant_id");
    sql.append(from(q.level()));
    List<Object> args = new ArrayList<>(List.of(scope.bind()));
    sql.append(" WHERE ").append(Scope.STUDY_CONDITION);
    if (q.studyUid() != null) {
      sql.append(" AND st.study_uid = ?");
      args.add(q.studyUid());
    }
    if (q.seriesUid() != null) {
      sql.append(" AND se.series_uid = ?");
      args.add(q.seriesUid());
    }
    for (Map.Entry<Integer, String> key : q.keys().entrySet()) {
      QueryAttribute a = matchable(q.level(), key.getKey());
      Matcher.Condition c = Matcher.condition(a, key.getValue(), q.fuzzyMatching());
      if (c == null) continue; // universal matching
      sql.append(" AND ").append(c.sql());
      args.addAll(c.args());
    }
    sql.append(groupAndOrder(q.level(), columns));
    // One more than asked tells whether more matches lie beyond the page.
    sql.append(" LIMIT ").append((long) q.limit() + 1).append(" OFFSET ").append(q.offset());
    return new Statement(sql.toString(), args, columns);
  }

  private static String from(QueryLevel level) {
    return switch (level) {
      case PATIENT, STUDY -> " FROM studies st JOIN patients p ON p.pk = st.patient_pk";
      case SERIES -> " FROM series se JOIN studies st ON st.pk = se.study_pk JOIN patients p ON p.pk = st.patient_pk";
      case INSTANCE -> " FROM instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = se.study_pk"
          + " JOIN patients p ON p.pk = st.patient_pk";
    };
  }

  /** Insertion order (primary keys): stable under paging, and what the primary key index gives for free. */
  private static String groupAndOrder(QueryLevel level, List<QueryAttribute> columns) {
    return switch (level) {
      case PATIENT -> {
        // A patient appears once, with counts over its studies in scope.
        StringBuilder group = new StringBuilder(" GROUP BY p.pk");
        for (QueryAttribute a : columns) if (!QueryAttributes.isPatientCount(a)) group.append(", ").append(a.column());
        yield group.append(" ORDER BY p.pk").toString();
      }
      case STUDY -> " ORDER BY st.pk";
      case SERIES -> " ORDER BY se.pk";
      case INSTANCE -> " ORDER BY se.pk, i.pk";
    };
  }

  private static QueryAttribute matchable(QueryLevel level, int tag) throws InvalidQueryException {
    QueryAttribute a = QueryAttributes.byTag(tag).orElseThrow(() -> new InvalidQueryException(String.format(
        "matching on (%04X,%04X) is not supported at %s level; supported: %s", tag >>> 16, tag & 0xFFFF,
        level.name().toLowerCase(), String.join(", ", QueryAttributes.matchableAt(level)))));
    if (!level.includes(a.level())) {
      throw new InvalidQueryException(a + " is a " + a.level().name().toLowerCase() + "-level attribute: it cannot"
          + " be matched in a " + level.name().toLowerCase() + "-level query");
    }
    if (a.matching() == Matching.NONE) {
      throw new InvalidQueryException(a + " is computed by the index: it can be returned, not matched");
    }
    return a;
  }
}
