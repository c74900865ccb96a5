package imago.storage.research;

import imago.core.deid.ConfidentialityProfile.Option;
import imago.core.deid.PixelCleaner;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A research project (issue 18): who works on it, which hospitals take part and whether each has
 * consented, which studies it wants, and how its view is de-identified.
 *
 * @param cohort QIDO-RS study keys by keyword ({@code ModalitiesInStudy=CT}, {@code StudyDate=20200101-20241231})
 * @param keySalt with Imago's master key, what the project's pseudonyms and UIDs are derived from
 * @param cleanPixels Clean Pixel Data rules: per modality, the rectangles of burned-in text to black
 *     out; an instance that may show burned-in text is in the view only where its modality has one
 */
public record ResearchProject(long id, String name, String title, String ownerTenant, String createdBy, Instant createdAt,
    Map<String, String> cohort, Set<Option> options, String keySalt, List<Site> sites, List<String> researchers,
    Map<String, List<PixelCleaner.Rect>> cleanPixels) {

  /** Where a hospital stands in a project; only a consented hospital's studies are in the view. */
  public enum SiteState {
    INVITED, CONSENTED, DECLINED, WITHDRAWN;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public record Site(String tenantId, SiteState state, String invitedBy, Instant invitedAt, String decidedBy,
      Instant decidedAt) {}

  public boolean hasResearcher(String principal) {
    return researchers.contains(principal);
  }

  public Optional<Site> site(String tenantId) {
    return sites.stream().filter(s -> s.tenantId().equals(tenantId)).findFirst();
  }

  /** The hospitals whose studies the project sees now. */
  public List<String> consentedTenants() {
    return sites.stream().filter(s -> s.state() == SiteState.CONSENTED).map(Site::tenantId).toList();
  }
}
