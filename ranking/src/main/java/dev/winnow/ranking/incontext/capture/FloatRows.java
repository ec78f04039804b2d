package dev.winnow.ranking.incontext.capture;

import java.util.Arrays;

/** A growable row-major float matrix with a fixed row width, filled row by row. */
public final class FloatRows {

    private final int width;
    private float[] data;
    private int rows;

    /** @param width floats per row, >= 1 */
    public FloatRows(int width) {
        if (width < 1) {
            throw new IllegalArgumentException("row width must be >= 1: " + width);
        }
        this.width = width;
        this.data = new float[width * 64];
    }

    /** Floats per row. */
    public int width() {
        return width;
    }

    /** Rows held. */
    public int rows() {
        return rows;
    }

    /** Appends {@code values.length / width} rows. */
    public void append(float[] values) {
        if (values.length % width != 0) {
            throw new IllegalArgumentException(values.length + " floats are not whole rows of " + width);
        }
        int need = (rows * width) + values.length;
        if (need > data.length) {
            data = Arrays.copyOf(data, Math.max(need, data.length * 2));
        }
        System.arraycopy(values, 0, data, rows * width, values.length);
        rows += values.length / width;
    }

    /** A copy of rows [from, to). */
    public float[] copyRows(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") outside [0, " + rows + ")");
        }
        return Arrays.copyOfRange(data, from * width, to * width);
    }

    /** Keeps only the first {@code n} rows. */
    public void truncate(int n) {
        if (n < 0 || n > rows) {
            throw new IndexOutOfBoundsException("cannot keep " + n + " of " + rows + " rows");
        }
        rows = n;
    }

    /** Removes all rows (the memory is kept). */
    public void clear() {
        rows = 0;
    }
}
