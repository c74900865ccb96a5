package imago.links;

/** README.TXT of a study download, in Italian and English, plain ASCII with CRLF line ends. */
final class Readme {
  private Readme() {}

  static String text() {
    return String.join("\r\n",
        "IMMAGINI DIAGNOSTICHE - COPIA PER IL CITTADINO",
        "",
        "Questo archivio contiene le immagini del suo esame nel formato standard DICOM,",
        "scaricate dal suo Fascicolo Sanitario Elettronico.",
        "Per vederle, estragga l'archivio e apra il file DICOMDIR con un qualsiasi",
        "visualizzatore DICOM. La cartella DICOM contiene le immagini.",
        "",
        "DIAGNOSTIC IMAGES - CITIZEN'S COPY",
        "",
        "This archive holds the images of your examination in the standard DICOM format,",
        "downloaded from your electronic health record (Fascicolo Sanitario Elettronico).",
        "To view them, extract the archive and open the DICOMDIR file with any DICOM",
        "viewer. The DICOM folder holds the images.",
        "");
  }
}
