package imago.links;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import imago.core.io.KeepOpen;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A study download as a zip holding a PS3.10 file-set: README.TXT, every instance under its File
 * ID as stored (byte for byte), and the DICOMDIR last, built from what was collected on the way.
 * Instances are streamed one at a time; only the data sets of non-image objects (SR, KOS, ...),
 * read while they stream past, are kept, for their directory records.
 */
public final class DicomZipWriter {
  static final String README = "README.TXT";
  static final String DICOMDIR = "DICOMDIR";

  /** Writes the zip to {@code out}, which is flushed but left open. */
  public void write(List<ZipInstance> instances, OutputStream out) throws IOException {
    if (instances == null || instances.isEmpty()) throw new IllegalArgumentException("nothing to download");
    List<FileSet.Patient> patients = FileSet.layout(instances);
    Map<String, AttributeList> headers = new HashMap<>();
    try (ZipOutputStream zip = new ZipOutputStream(new KeepOpen(out), StandardCharsets.US_ASCII)) {
      // pixel data rarely deflates much and the citizen is waiting: the cheapest level
      zip.setLevel(Deflater.BEST_SPEED);
      entry(zip, README, Readme.text().getBytes(StandardCharsets.US_ASCII));
      for (FileSet.Member m : FileSet.members(patients)) {
        zip.putNextEntry(new ZipEntry(m.zipPath()));
        try (InputStream in = m.instance().content().open()) {
          if (InstanceRecords.needsHeader(m.instance().sopClassUid())) {
            headers.put(m.instance().sopInstanceUid(), copyReadingHeader(in, zip));
          } else {
            in.transferTo(zip);
          }
        }
        zip.closeEntry();
      }
      entry(zip, DICOMDIR, DicomDir.encode(patients, headers));
    }
  }

  private static void entry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }

  /** Copies {@code in} to {@code out}, parsing its data set up to the pixel data on the way. */
  private static AttributeList copyReadingHeader(InputStream in, OutputStream out) throws IOException {
    InputStream tee = new Tee(in, out);
    AttributeList header = new AttributeList();
    try {
      header.read(new DicomInputStream(tee), TagFromName.PixelData);
    } catch (DicomException e) {
      throw new IOException("cannot read a stored instance's data set", e);
    }
    // whatever the parser buffered has gone through the tee; the rest is copied as is
    tee.transferTo(OutputStream.nullOutputStream());
    return header;
  }

  /** An input stream that writes every byte it reads to {@code copy}. */
  private static final class Tee extends FilterInputStream {
    private final OutputStream copy;

    Tee(InputStream in, OutputStream copy) {
      super(in);
      this.copy = copy;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) copy.write(b);
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = in.read(buffer, offset, length);
      if (n > 0) copy.write(buffer, offset, n);
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] buffer = new byte[(int) Math.min(n, 8192)];
      int read = read(buffer, 0, buffer.length);
      return Math.max(read, 0);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
