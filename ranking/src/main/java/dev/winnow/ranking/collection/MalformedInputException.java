package dev.winnow.ranking.collection;

import java.io.IOException;
import java.nio.file.Path;

/** A line or record of an input file that cannot be read; the message names the file, the line and the problem. */
public final class MalformedInputException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The file. */
    private final transient Path file;

    /** The 1-based line number. */
    private final long line;

    /** What is wrong. */
    private final String problem;

    /**
     * Creates the exception.
     *
     * @param file the file read
     * @param line the 1-based line number where the problem is
     * @param problem what is wrong
     */
    public MalformedInputException(Path file, long line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
        this.line = line;
        this.problem = problem;
    }

    /**
     * Returns what is wrong, without the file and line.
     *
     * @return the problem
     */
    public String problem() {
        return problem;
    }

    /**
     * Returns the file that holds the bad line.
     *
     * @return the path
     */
    public Path file() {
        return file;
    }

    /**
     * Returns the 1-based line number.
     *
     * @return the line
     */
    public long line() {
        return line;
    }
}
