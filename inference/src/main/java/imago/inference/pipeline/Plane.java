package imago.inference.pipeline;

/** One frame on its way through preprocessing: values row-major, {@code rows x columns}, in double precision. */
record Plane(double[] values, int rows, int columns, boolean monochrome1) {

  Plane {
    if (values.length != rows * columns) {
      throw new IllegalArgumentException(values.length + " values for " + rows + "x" + columns);
    }
  }

  Plane with(double[] newValues, int newRows, int newColumns) {
    return new Plane(newValues, newRows, newColumns, monochrome1);
  }
}
