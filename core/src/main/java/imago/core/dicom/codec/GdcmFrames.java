package imago.core.dicom.codec;

/**
 * One frame through GDCM's codecs, in memory: an image of the declared format whose Pixel Data is
 * the codestream as one fragment, asked for its buffer. Runs only in {@link CodecHelperMain}.
 */
final class GdcmFrames {
  private GdcmFrames() {}

  record Decoded(byte[] pixels, String photometric, int planarConfiguration) {}

  static Decoded decode(String transferSyntax, FrameFormat f, byte[] codestream) throws CodecException {
    String refused = f.refusal();
    if (refused != null) throw new CodecException("not decoded: " + refused);
    gdcm.TransferSyntax ts = new gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(transferSyntax));
    if (!ts.IsValid() || !ts.IsEncapsulated()) throw new CodecException("GDCM has no codec for " + transferSyntax);
    gdcm.PhotometricInterpretation.PIType pi = gdcm.PhotometricInterpretation.GetPIType(f.photometric().trim());
    if (pi == gdcm.PhotometricInterpretation.PIType.UNKNOWN || pi == gdcm.PhotometricInterpretation.PIType.PI_END) {
      throw new CodecException("not decoded: Photometric Interpretation " + f.photometric());
    }
    gdcm.Image image = new gdcm.Image();
    gdcm.SmartPtrFrag fragments = gdcm.SequenceOfFragments.New();
    gdcm.Fragment fragment = new gdcm.Fragment();
    gdcm.DataElement pixelData = new gdcm.DataElement(new gdcm.Tag(0x7fe0, 0x0010));
    try {
      image.SetNumberOfDimensions(2);
      image.SetDimension(0, f.columns());
      image.SetDimension(1, f.rows());
      gdcm.PixelFormat format = new gdcm.PixelFormat();
      format.SetSamplesPerPixel(f.samplesPerPixel());
      format.SetBitsAllocated(f.bitsAllocated());
      format.SetBitsStored(f.bitsStored());
      format.SetHighBit(f.bitsStored() - 1);
      format.SetPixelRepresentation(f.pixelRepresentation());
      image.SetPixelFormat(format);
      image.SetPlanarConfiguration(f.planarConfiguration());
      image.SetPhotometricInterpretation(new gdcm.PhotometricInterpretation(pi));
      image.SetTransferSyntax(ts);
      fragment.SetArray(codestream, codestream.length);
      fragments.AddFragment(fragment);
      pixelData.SetVR(new gdcm.VR(gdcm.VR.VRType.OB));
      // the data element shares the reference-counted fragments with the smart pointer: neither frees it twice
      pixelData.SetValue(fragments.__deref__());
      image.SetDataElement(pixelData);
      long length = image.GetBufferLength();
      if (length != f.frameBytes()) {
        throw new CodecException("GDCM sizes the frame at " + length + " bytes, the data set at " + f.frameBytes());
      }
      byte[] pixels = new byte[(int) length];
      if (!image.GetBuffer(pixels)) throw new CodecException("GDCM could not decode the " + transferSyntax + " codestream");
      return new Decoded(pixels, gdcm.PhotometricInterpretation.GetPIString(image.GetPhotometricInterpretation().GetType()).trim(),
          (int) image.GetPlanarConfiguration());
    } finally {
      image.delete();
      pixelData.delete();
      fragments.delete();
      fragment.delete();
    }
  }
}
