package dev.winnow.scripting;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a script may touch. Scripts run under GraalVM's {@code SandboxPolicy.CONSTRAINED}: no host class lookup, no
 * native access, no processes, no threads, no environment variables, no sockets. Their only file access goes through a
 * polyglot file system that allows reading and writing inside {@code workspace} (the current directory of scripts) and
 * reading inside each of {@code readOnlyRoots} (models, collections); any other path, a {@code ..} that leaves those
 * trees and a symbolic link that points out of them are refused.
 *
 * @param workspace the read-write directory; it must exist; stored as its real path (symbolic links resolved)
 * @param readOnlyRoots directories scripts may read (models, data); each must exist; stored as real paths
 * @param statementLimit the most guest statements one cell may execute before it is stopped, {@code 0} for no limit
 *     (GraalVM {@code ResourceLimits}); counted in the cells' own code (loops, functions they define), not in library
 *     modules; a cell that exceeds it fails and its language's context is recreated, losing that language's
 *     variables
 */
public record Sandbox(Path workspace, List<Path> readOnlyRoots, long statementLimit) {

  /**
   * Checks the directories and resolves them to real paths.
   *
   * @throws IllegalArgumentException if a directory does not exist or is not a directory, or the statement limit is
   *     negative
   */
  public Sandbox {
    workspace = realDirectory(workspace, "workspace");
    List<Path> roots = new ArrayList<>();
    for (Path root : readOnlyRoots == null ? List.<Path>of() : readOnlyRoots) {
      roots.add(realDirectory(root, "read-only root"));
    }
    readOnlyRoots = List.copyOf(roots);
    if (statementLimit < 0) {
      throw new IllegalArgumentException("statement limit must be >= 0 (0 = none), got " + statementLimit);
    }
  }

  /**
   * A sandbox with no statement limit.
   *
   * @param workspace the read-write directory
   * @param readOnlyRoots directories scripts may read
   * @return the sandbox
   */
  public static Sandbox of(Path workspace, Path... readOnlyRoots) {
    return new Sandbox(workspace, List.of(readOnlyRoots), 0);
  }

  /**
   * The same sandbox with another statement limit.
   *
   * @param limit statements per cell, {@code 0} for none
   * @return a new sandbox
   */
  public Sandbox withStatementLimit(long limit) {
    return new Sandbox(workspace, readOnlyRoots, limit);
  }

  private static Path realDirectory(Path dir, String what) {
    if (dir == null) {
      throw new IllegalArgumentException("sandbox " + what + " is null");
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("sandbox " + what + " " + dir + " is not an existing directory");
    }
    try {
      return dir.toRealPath();
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("sandbox " + what + " " + dir + " cannot be resolved: " + e.getMessage(), e);
    }
  }
}
