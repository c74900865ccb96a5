package imago.app;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The code's shape: no dependency cycles between modules (the poms' enforcer rules pin which way
 * they go) and none between the packages inside a module.
 */
@AnalyzeClasses(packages = "imago", importOptions = ModuleGraphTest.MainCodeOnly.class)
class ModuleGraphTest {
  /** Main classes only: neither test classes nor the modules' test jars (fixtures may cross packages). */
  static final class MainCodeOnly implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("/test-classes/") && !location.contains("-tests.jar");
    }
  }

  @ArchTest
  static final ArchRule modules = slices().matching("imago.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule core = slices().matching("imago.core.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule storage = slices().matching("imago.storage.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule dicomNode = slices().matching("imago.node.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule links = slices().matching("imago.links.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule inference = slices().matching("imago.inference.(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule models = slices().matching("imago.models.(*)..").should().beFreeOfCycles();
}
