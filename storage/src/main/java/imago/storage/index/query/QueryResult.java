package imago.storage.index.query;

import java.util.List;

/**
 * The page of matches a {@link QueryRequest} asked for, in a stable order (so offsets page
 * through without gaps), and whether more matches lie beyond it.
 */
public record QueryResult(List<QueryMatch> matches, boolean more) {
  public QueryResult {
    matches = List.copyOf(matches);
  }
}
