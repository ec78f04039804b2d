package dev.winnow.scripting;

import dev.winnow.models.WinnowHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a script may touch. Scripts run under GraalVM's {@code SandboxPolicy.CONSTRAINED}: no host class lookup, no
 * native access, no processes, no threads, no environment variables, no sockets. Their only file access goes through a
 * polyglot file system that allows reading and writing inside {@code workspace} (the current directory of scripts) and
 * reading inside each of {@code readOnlyRoots} (models, collections); any other path, a {@code ..} that leaves those
 * trees and a symbolic link that points out of them are refused. GraalVM's own resources (the GraalPy standard
 * library) are readable, never writable.
 *
 * <p>Whatever the workspace, the trees of {@link #protectedTrees()} are never written: what Winnow loads as code or
 * native libraries, or keeps as its cache (GraalVM's resource cache, {@code $WINNOW_HOME} with the llama.cpp libraries
 * and models, the repository and the jars on the class path, the JDK). A write to a path inside one of them, or to a
 * directory that contains one (a rename or delete of a parent), is refused even when it lies inside the workspace, so
 * a notebook served from the home directory cannot replace a native library. A protected tree that contains the
 * workspace itself is not kept (the user chose that workspace; everything outside it is read-only anyway), but the
 * top-level folders of the repository and of {@code $WINNOW_HOME} stay protected.
 *
 * @param workspace the read-write directory; it must exist; stored as its real path (symbolic links resolved)
 * @param readOnlyRoots directories scripts may read (models, data); each must exist; stored as real paths
 * @param statementLimit the most guest statements one cell may execute before it is stopped, {@code 0} for no limit
 *     (GraalVM {@code ResourceLimits}); counted in the cells' own code (loops, functions they define), not in library
 *     modules; a cell that exceeds it fails and its language's context is recreated, losing that language's
 *     variables
 * @param protectedTrees trees scripts must never write, besides those of {@link #productTrees()} (which are always
 *     added); they need not exist; stored as real paths of their longest existing prefix, without those that contain
 *     the workspace
 */
public record Sandbox(Path workspace, List<Path> readOnlyRoots, long statementLimit, List<Path> protectedTrees) {

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
    Set<Path> trees = new LinkedHashSet<>();
    List<Path> wanted = new ArrayList<>(productTrees());
    if (protectedTrees != null) {
      wanted.addAll(protectedTrees);
    }
    for (Path t : wanted) {
      if (t == null) {
        throw new IllegalArgumentException("sandbox protected tree is null");
      }
      Path real = realOfExistingPrefix(t.toAbsolutePath().normalize());
      if (!workspace.startsWith(real)) {
        trees.add(real);
      }
    }
    protectedTrees = List.copyOf(trees);
  }

  /**
   * A sandbox with the default protected trees ({@link #productTrees()}).
   *
   * @param workspace the read-write directory
   * @param readOnlyRoots directories scripts may read
   * @param statementLimit statements per cell, {@code 0} for none
   */
  public Sandbox(Path workspace, List<Path> readOnlyRoots, long statementLimit) {
    this(workspace, readOnlyRoots, statementLimit, List.of());
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
    return new Sandbox(workspace, readOnlyRoots, limit, protectedTrees);
  }

  /**
   * The same sandbox with more trees scripts must never write (even inside the workspace).
   *
   * @param trees the trees (need not exist)
   * @return a new sandbox
   */
  public Sandbox withProtectedTrees(Path... trees) {
    List<Path> all = new ArrayList<>(protectedTrees);
    all.addAll(List.of(trees));
    return new Sandbox(workspace, readOnlyRoots, statementLimit, all);
  }

  /**
   * What this JVM loads as code or native libraries, or keeps as Winnow's cache, which scripts must never write:
   * GraalVM's internal resource cache ({@code polyglot.engine.userResourceCache}, else {@code $XDG_CACHE_HOME} or
   * {@code ~/.cache}, then {@code org.graalvm.polyglot}; and {@code polyglot.engine.resourcePath}); {@code
   * $WINNOW_HOME} ({@code winnow.home}, default {@code ~/.cache/winnow}) and its top-level folders; an explicit
   * llama.cpp library directory ({@code winnow.llama.lib.dir}, {@code WINNOW_LLAMA_LIB_DIR}); the repository ({@code
   * winnow.repo.dir}, set by {@code ./winnow}) and its top-level folders; each class path, module path and upgrade
   * module path entry (the folder of a jar, since {@code lib/*} loads any jar put there); where Winnow's and GraalVM's
   * classes were loaded from; and {@code java.home}.
   *
   * @return the trees, absolute and normalised (they need not exist)
   */
  public static List<Path> productTrees() {
    List<Path> t = new ArrayList<>();
    String home = System.getProperty("user.home", ".");
    String userCache = System.getProperty("polyglot.engine.userResourceCache");
    if (userCache != null && !userCache.isBlank()) {
      t.add(Path.of(userCache));
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      t.add(Path.of(xdg, "org.graalvm.polyglot"));
    }
    t.add(Path.of(home, ".cache", "org.graalvm.polyglot"));
    String resourcePath = System.getProperty("polyglot.engine.resourcePath");
    if (resourcePath != null && !resourcePath.isBlank()) {
      t.add(Path.of(resourcePath));
    }
    Path winnowHome = WinnowHome.dir();
    t.add(winnowHome);
    t.addAll(children(winnowHome));
    for (String lib : new String[] {System.getProperty("winnow.llama.lib.dir"), System.getenv("WINNOW_LLAMA_LIB_DIR")}) {
      if (lib != null && !lib.isBlank()) {
        t.add(Path.of(lib));
      }
    }
    String repo = System.getProperty("winnow.repo.dir");
    if (repo != null && !repo.isBlank()) {
      t.add(Path.of(repo));
      t.addAll(children(Path.of(repo)));
    }
    for (String key : new String[] {"java.class.path", "jdk.module.path", "jdk.module.upgrade.path"}) {
      String value = System.getProperty(key);
      if (value == null || value.isBlank()) {
        continue;
      }
      for (String entry : value.split(java.io.File.pathSeparator)) {
        if (!entry.isBlank()) {
          t.add(codeFolder(Path.of(entry.endsWith("*") ? entry.substring(0, entry.length() - 1) : entry)));
        }
      }
    }
    for (Class<?> c : new Class<?>[] {Sandbox.class, org.graalvm.polyglot.Engine.class, WinnowHome.class}) {
      try {
        var src = c.getProtectionDomain().getCodeSource();
        if (src != null && src.getLocation() != null && "file".equals(src.getLocation().getProtocol())) {
          t.add(codeFolder(Path.of(src.getLocation().toURI())));
        }
      } catch (java.net.URISyntaxException | SecurityException | IllegalArgumentException e) {
        // an unusual code source: the class path entries above still cover it
      }
    }
    t.add(Path.of(System.getProperty("java.home")));
    List<Path> out = new ArrayList<>();
    for (Path p : t) {
      Path abs = p.toAbsolutePath().normalize();
      if (abs.getParent() != null && !out.contains(abs)) {
        out.add(abs); // never the file system root
      }
    }
    return out;
  }

  /** The folder that holds a class path entry's code: a jar's folder, or the directory itself. */
  private static Path codeFolder(Path entry) {
    Path abs = entry.toAbsolutePath().normalize();
    return Files.isDirectory(abs) || abs.getParent() == null ? abs : abs.getParent();
  }

  private static List<Path> children(Path dir) {
    List<Path> out = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        s.forEach(out::add);
      } catch (IOException | UncheckedIOException e) {
        // unreadable: the folder itself is still protected
      }
    }
    return out;
  }

  /**
   * The real path of the longest existing prefix of an absolute normalised path, with the remaining names appended
   * (the path itself need not exist).
   *
   * @param abs an absolute, normalised path
   * @return the resolved path
   */
  public static Path realOfExistingPrefix(Path abs) {
    Path existing = abs;
    List<Path> rest = new ArrayList<>();
    while (existing != null && !Files.exists(existing)) {
      rest.add(existing.getFileName());
      existing = existing.getParent();
    }
    if (existing == null) {
      return abs;
    }
    Path real;
    try {
      real = existing.toRealPath();
    } catch (IOException e) {
      real = existing;
    }
    for (int i = rest.size() - 1; i >= 0; i--) {
      real = real.resolve(rest.get(i));
    }
    return real;
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
    } catch (IOException e) {
      throw new IllegalArgumentException("sandbox " + what + " " + dir + " cannot be resolved: " + e.getMessage(), e);
    }
  }
}
