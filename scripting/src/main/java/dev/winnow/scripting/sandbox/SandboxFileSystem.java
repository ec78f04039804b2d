package dev.winnow.scripting.sandbox;

import dev.winnow.scripting.Sandbox;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.graalvm.polyglot.io.FileSystem;

/**
 * The polyglot file system of sandboxed scripts: read-write under the sandbox's workspace, read-only under its
 * read-only roots, nothing elsewhere.
 *
 * <p>Every path is made absolute against the current directory (initially the workspace), normalised lexically
 * (so {@code ..} cannot climb out of a tree and then back in through a link), and its longest existing prefix is
 * resolved to a real path, so a symbolic link that points outside the allowed trees is refused. The operation then
 * runs on that checked real path, with {@link LinkOption#NOFOLLOW_LINKS} on the last name so a dangling link cannot
 * redirect a write. Creating links is refused. A refused path raises {@link AccessDeniedException} whose reason names
 * the path and the allowed trees; GraalPy surfaces it as {@code PermissionError}, GraalJS as an {@code Error}.
 *
 * <p>Writes are refused, even inside the workspace, to a path inside one of the sandbox's {@link
 * Sandbox#protectedTrees() protected trees} or to a directory that contains one (renaming or deleting a parent).
 *
 * <p>Limit: the check and the open are two system calls; a process outside the sandbox that swaps a directory for a
 * link between them could redirect the open. Scripts themselves cannot create links.
 */
public final class SandboxFileSystem implements FileSystem {
  private final Path workspace;
  private final List<Path> readOnlyRoots;
  private final List<Path> protectedTrees;
  private volatile Path currentDirectory;

  /**
   * Creates the file system for a sandbox.
   *
   * @param sandbox the workspace and read-only roots (already real paths)
   */
  public SandboxFileSystem(Sandbox sandbox) {
    this.workspace = sandbox.workspace();
    this.readOnlyRoots = sandbox.readOnlyRoots();
    this.protectedTrees = sandbox.protectedTrees();
    this.currentDirectory = workspace;
  }

  private enum Mode {
    READ,
    WRITE
  }

  /**
   * Resolves a guest path to the real host path the operation may use, or refuses it.
   *
   * @param path the guest path (relative to the current directory or absolute)
   * @param mode whether the operation writes
   * @param followLast whether a symbolic link as the last name is followed (and its target checked)
   * @return the checked path
   * @throws AccessDeniedException when the path lies outside the allowed trees for that mode
   */
  Path check(Path path, Mode mode, boolean followLast) throws IOException {
    Path abs = toAbsolutePath(path).normalize();
    Path resolved;
    Path parent = abs.getParent();
    if (parent == null) {
      resolved = abs; // the root directory itself
    } else if (followLast) {
      resolved = realOfExistingPrefix(abs);
    } else {
      resolved = realOfExistingPrefix(parent).resolve(abs.getFileName());
    }
    if (mode == Mode.WRITE) {
      for (Path tree : protectedTrees) {
        if (isUnder(resolved, tree) || isUnder(tree, resolved)) {
          throw new AccessDeniedException(
              path.toString(),
              null,
              "read-only in the sandbox: "
                  + tree
                  + " holds code, native libraries or caches that Winnow loads, which scripts may not change");
        }
      }
    }
    if (isUnder(resolved, workspace)) {
      return resolved;
    }
    for (Path root : readOnlyRoots) {
      if (isUnder(resolved, root)) {
        if (mode == Mode.WRITE) {
          throw new AccessDeniedException(
              path.toString(), null, "read-only in the sandbox: scripts may write only under " + workspace);
        }
        return resolved;
      }
    }
    throw new AccessDeniedException(path.toString(), null, "outside the sandbox: " + allowedTrees());
  }

  private String allowedTrees() {
    StringBuilder b = new StringBuilder("scripts may read and write under ").append(workspace);
    if (!readOnlyRoots.isEmpty()) {
      b.append(" and read under ").append(readOnlyRoots);
    }
    return b.toString();
  }

  private static boolean isUnder(Path p, Path root) {
    return p.equals(root) || p.startsWith(root);
  }

  /** Real path of the longest existing prefix of an absolute normalised path, with the remaining names appended. */
  private static Path realOfExistingPrefix(Path abs) throws IOException {
    Path existing = abs;
    List<Path> rest = new ArrayList<>();
    while (existing != null && !Files.exists(existing)) {
      if (Files.isSymbolicLink(existing)) {
        throw new AccessDeniedException(abs.toString(), null, "dangling symbolic link " + existing);
      }
      rest.add(existing.getFileName());
      existing = existing.getParent();
    }
    if (existing == null) {
      throw new NoSuchFileException(abs.toString());
    }
    Path real = existing.toRealPath();
    for (int i = rest.size() - 1; i >= 0; i--) {
      real = real.resolve(rest.get(i));
    }
    return real;
  }

  /**
   * Checks a path that a script passes to the host API (which reads and writes files itself, outside the polyglot
   * file system), with the same rules as the scripts' own file access. Relative paths resolve against the workspace.
   *
   * @param path the path as the script wrote it
   * @param write whether the host call will write there
   * @return the checked real path
   * @throws AccessDeniedException when the path is outside the allowed trees for that access
   * @throws IOException when the path cannot be resolved
   */
  public Path hostPath(String path, boolean write) throws IOException {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("path is empty");
    }
    return check(parsePath(path), write ? Mode.WRITE : Mode.READ, true);
  }

  @Override
  public Path parsePath(URI uri) {
    if (!"file".equalsIgnoreCase(uri.getScheme())) {
      throw new UnsupportedOperationException(
          "only file: URIs are available to scripts, not " + uri.getScheme() + ": (" + uri + ")");
    }
    return Path.of(uri);
  }

  @Override
  public Path parsePath(String path) {
    return FileSystems.getDefault().getPath(path);
  }

  @Override
  public void checkAccess(Path path, Set<? extends AccessMode> modes, LinkOption... linkOptions) throws IOException {
    Path p = check(path, modes.contains(AccessMode.WRITE) ? Mode.WRITE : Mode.READ, follows(linkOptions));
    AccessMode[] m = modes.toArray(new AccessMode[0]);
    if (follows(linkOptions)) {
      p.getFileSystem().provider().checkAccess(p, m);
    } else if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(path.toString());
    }
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    Files.createDirectory(check(dir, Mode.WRITE, false), attrs);
  }

  @Override
  public void delete(Path path) throws IOException {
    Path p = check(path, Mode.WRITE, false);
    if (p.equals(workspace)) {
      throw new AccessDeniedException(path.toString(), null, "the sandbox workspace itself cannot be deleted");
    }
    Files.delete(p);
  }

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    boolean writes = false;
    for (OpenOption o : options) {
      if (o == StandardOpenOption.WRITE
          || o == StandardOpenOption.APPEND
          || o == StandardOpenOption.CREATE
          || o == StandardOpenOption.CREATE_NEW
          || o == StandardOpenOption.TRUNCATE_EXISTING
          || o == StandardOpenOption.DELETE_ON_CLOSE) {
        writes = true;
      }
    }
    Path p = check(path, writes ? Mode.WRITE : Mode.READ, true);
    Set<OpenOption> opts = new HashSet<>(options);
    opts.add(LinkOption.NOFOLLOW_LINKS);
    return Files.newByteChannel(p, opts, attrs);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    return Files.newDirectoryStream(check(dir, Mode.READ, true), filter);
  }

  @Override
  public Path toAbsolutePath(Path path) {
    return path.isAbsolute() ? path : currentDirectory.resolve(path);
  }

  @Override
  public Path toRealPath(Path path, LinkOption... linkOptions) throws IOException {
    Path p = check(path, Mode.READ, follows(linkOptions));
    return follows(linkOptions) ? p.toRealPath() : p;
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
    return Files.readAttributes(check(path, Mode.READ, follows(options)), attributes, LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
    Files.setAttribute(check(path, Mode.WRITE, follows(options)), attribute, value, LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    Path from = check(source, Mode.READ, true);
    Path to = check(target, Mode.WRITE, false);
    Files.copy(from, to, withNoFollow(options));
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    Path from = check(source, Mode.WRITE, false);
    Path to = check(target, Mode.WRITE, false);
    Files.move(from, to, withNoFollow(options));
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    throw new AccessDeniedException(link.toString(), null, "scripts cannot create links");
  }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
    throw new AccessDeniedException(link.toString(), null, "scripts cannot create symbolic links");
  }

  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    return Files.readSymbolicLink(check(link, Mode.READ, false));
  }

  @Override
  public void setCurrentWorkingDirectory(Path dir) {
    Path p;
    try {
      p = check(dir, Mode.READ, true);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot change directory to " + dir + ": " + e.getMessage(), e);
    }
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException("cannot change directory to " + dir + ": not a directory");
    }
    currentDirectory = p;
  }

  @Override
  public Path getTempDirectory() {
    throw new UnsupportedOperationException("scripts have no temporary directory; write under the workspace");
  }

  @Override
  public boolean isSameFile(Path path1, Path path2, LinkOption... options) throws IOException {
    return Files.isSameFile(check(path1, Mode.READ, true), check(path2, Mode.READ, true));
  }

  private static boolean follows(LinkOption... options) {
    for (LinkOption o : options) {
      if (o == LinkOption.NOFOLLOW_LINKS) {
        return false;
      }
    }
    return true;
  }

  private static CopyOption[] withNoFollow(CopyOption... options) {
    List<CopyOption> list = new ArrayList<>(List.of(options));
    list.remove(StandardCopyOption.COPY_ATTRIBUTES);
    list.add(LinkOption.NOFOLLOW_LINKS);
    return list.toArray(new CopyOption[0]);
  }
}
