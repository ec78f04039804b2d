package dev.winnow.scripting;

import dev.winnow.scripting.sandbox.HostPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
     * GraalVM's internal resource cache, {@code $WINNOW_HOME} and its top-level folders, an explicit llama.cpp library
     * directory, the repository ({@code winnow.repo.dir}, set by {@code ./winnow}) and its top-level folders, the class
     * path, module path and upgrade module path folders, and {@code java.home}: the protected trees of {@link
     * HostPaths#productTrees()}.
     *
     * @return the trees, absolute and normalised (they need not exist)
     */
    public static List<Path> productTrees() {
        List<Path> out = new ArrayList<>();
        for (HostPaths.Tree t : HostPaths.productTrees()) {
            if (t.protect()) {
                out.add(t.path());
            }
        }
        return out;
    }

    /**
     * How messages shown to this sandbox's scripts name host folders: placeholders such as {@code <graalpy-home>} and
     * {@code <winnow-home>} instead of absolute paths outside the workspace and read-only roots.
     *
     * @return the naming (built on each call: keep it)
     */
    public HostPaths hostPaths() {
        return HostPaths.of(workspace, readOnlyRoots);
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
            throw new IllegalArgumentException(
                    "sandbox " + what + " " + dir + " cannot be resolved: " + e.getMessage(), e);
        }
    }
}
