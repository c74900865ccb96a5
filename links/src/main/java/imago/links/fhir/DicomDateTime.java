package imago.links.fhir;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.hl7.fhir.r4.model.DateTimeType;

/**
 * DICOM DA and TM (PS3.5 6.2) as a FHIR dateTime. DICOM times are local and carry no offset
 * unless Timezone Offset From UTC (0008,0201) is sent, while FHIR requires one whenever a time is
 * given; Imago serves Lombardy's hospitals, so their wall clock is Europe/Rome.
 */
final class DicomDateTime {
  static final ZoneId HOSPITALS = ZoneId.of("Europe/Rome");
  private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;

  private DicomDateTime() {}

  /** Null when the date is absent or not a DICOM date; the date alone when the time is absent or malformed. */
  static DateTimeType of(String da, String tm) {
    LocalDate date = date(da);
    if (date == null) return null;
    LocalTime time = time(tm);
    if (time == null) return new DateTimeType(date.toString());
    ZoneOffset offset = HOSPITALS.getRules().getOffset(date.atTime(time));
    String seconds = String.format(Locale.ROOT, "%sT%02d:%02d:%02d", date, time.getHour(), time.getMinute(),
        time.getSecond());
    String fraction = time.getNano() == 0 ? "" : String.format(Locale.ROOT, ".%03d", time.getNano() / 1_000_000);
    return new DateTimeType(seconds + fraction + offset.getId().replace("Z", "+00:00"));
  }

  private static LocalDate date(String da) {
    if (da == null || !da.trim().matches("\\d{8}")) return null;
    try {
      return LocalDate.parse(da.trim(), DA);
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** TM is HH, HHMM, HHMMSS or HHMMSS.F{1,6}; ACR-NEMA's HH:MM:SS is still met, so colons are dropped. */
  private static LocalTime time(String tm) {
    if (tm == null) return null;
    String t = tm.trim().replace(":", "");
    if (!t.matches("\\d{2}(\\d{2}(\\d{2}(\\.\\d{1,6})?)?)?")) return null;
    try {
      int hour = Integer.parseInt(t.substring(0, 2));
      int minute = t.length() >= 4 ? Integer.parseInt(t.substring(2, 4)) : 0;
      int second = t.length() >= 6 ? Math.min(59, Integer.parseInt(t.substring(4, 6))) : 0;
      int nanos = t.length() > 7 ? Integer.parseInt((t.substring(7) + "000000").substring(0, 6)) / 1000 * 1_000_000 : 0;
      return LocalTime.of(hour, minute, second, nanos);
    } catch (DateTimeException e) {
      return null;
    }
  }
}
