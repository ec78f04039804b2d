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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.graalvm.polyglot.io.FileSystem;

/**
 * The polyglot file system of sandboxed scripts: read-write under the sandbox's workspace, read-only under its
 * read-only roots, nothing elsewhere.
 *
 * <p>Every path is made absolute against the current directory (initially the workspace), normalised lexically
 * (so {@code ..} cannot climb out of a tree and then back in through a link), and its longest existing prefix is
 * resolved to a real path, so a symbolic link that points outside the allowed trees is refused. The operation then
 * runs on that checked real path, with {@link LinkOption#NOFOLLOW_LINKS} on the last name so a dangling link cannot
 * redirect a write. Creating links is refused. A refused path raises {@link AccessDeniedException} whose file is the
 * path as the script wrote it and whose reason says why without absolute host paths ({@code "outside the sandbox
 * (outside the workspace): ..."}, {@code "read-only to scripts: inside the Winnow home (<winnow-home>), ..."}); GraalPy
 * surfaces it as {@code PermissionError} and GraalJS as an {@code Error}, both without the reason, so the file system
 * remembers its recent refusals ({@link #refusal(String)}) for the cell's failure to add it.
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
    private final Supplier<HostPaths> hostPaths;
    private final Map<String, String> refusals = new LinkedHashMap<>();
    private volatile Path currentDirectory;

    /**
     * Creates the file system for a sandbox.
     *
     * @param sandbox the workspace and read-only roots (already real paths)
     * @param hostPaths how refusals name host folders: the sandbox's {@link Sandbox#hostPaths()}, built once by the
     *     caller (asked for when a refusal is described, not here)
     */
    public SandboxFileSystem(Sandbox sandbox, Supplier<HostPaths> hostPaths) {
        if (hostPaths == null) {
            throw new IllegalArgumentException("sandbox host paths are null");
        }
        this.workspace = sandbox.workspace();
        this.readOnlyRoots = sandbox.readOnlyRoots();
        this.protectedTrees = sandbox.protectedTrees();
        this.hostPaths = hostPaths;
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
            resolved = realOfExistingPrefix(abs, path);
        } else {
            resolved = realOfExistingPrefix(parent, path).resolve(abs.getFileName());
        }
        if (mode == Mode.WRITE) {
            for (Path tree : protectedTrees) {
                if (isUnder(resolved, tree)) {
                    throw refuse(
                            path,
                            "read-only to scripts: inside " + name(resolved, tree)
                                    + ", which Winnow loads code or data from");
                }
                if (isUnder(tree, resolved)) {
                    throw refuse(
                            path,
                            "read-only to scripts: it contains " + name(tree, tree)
                                    + ", which Winnow loads code or data from");
                }
            }
        }
        if (isUnder(resolved, workspace)) {
            return resolved;
        }
        for (Path root : readOnlyRoots) {
            if (isUnder(resolved, root)) {
                if (mode == Mode.WRITE) {
                    throw refuse(
                            path, "read-only to scripts: a read-only folder; scripts write only under the workspace");
                }
                return resolved;
            }
        }
        throw refuse(
                path,
                "outside the sandbox (outside the workspace): scripts may read and write only under the workspace"
                        + (readOnlyRoots.isEmpty() ? "" : " and read its read-only folders"));
    }

    /**
     * How a refusal names a protected tree: the description and placeholder of the most specific named folder holding
     * {@code path} (inside {@code tree}), or the tree's path relative to the workspace.
     */
    private String name(Path path, Path tree) {
        String named = hostPaths.get().describe(path);
        if (named != null && !isUnder(tree, workspace)) {
            return named;
        }
        if (isUnder(tree, workspace)) {
            return "the protected folder "
                    + (tree.equals(workspace) ? "." : workspace.relativize(tree).toString());
        }
        return "a protected folder (" + hostPaths.get().scrub(tree.toString()) + ")";
    }

    /** Records a refusal (for {@link #refusal}) and returns the exception that reports it. */
    private AccessDeniedException refuse(Path path, String reason) {
        String key = key(path);
        synchronized (refusals) {
            refusals.remove(key);
            refusals.put(key, reason);
            while (refusals.size() > MAX_REFUSALS) {
                refusals.remove(refusals.keySet().iterator().next());
            }
        }
        return new AccessDeniedException(path.toString(), null, reason);
    }

    private String key(Path path) {
        return toAbsolutePath(path).normalize().toString();
    }

    private static final int MAX_REFUSALS = 32;

    /** A quoted path in an error message ({@code 'PATH'} or {@code "PATH"}), or a path after the last {@code ": "}. */
    private static final Pattern NAMED_PATH = Pattern.compile("'([^']+)'|\"([^\"]+)\"|: ([^\\s'\"]+)$");

    /**
     * Why this file system refused a path that an error message names. GraalPy reports a refusal as {@code
     * PermissionError: [Errno 13] Permission denied: 'PATH'} and GraalJS as e.g. {@code Cannot load script: PATH},
     * without the reason; the failure shown for the cell adds it from here. A path the message names (quoted, or after
     * the last {@code ": "}) that resolves to a refused path gives that refusal's reason; a {@code Permission denied}
     * message that names no path gets the most recent refusal, with its path as the script wrote it.
     *
     * @param message the guest error's message
     * @return {@code "REASON"} or {@code "PATH: REASON"}, or {@code null} when no recorded refusal fits
     */
    public String refusal(String message) {
        if (message == null) {
            return null;
        }
        synchronized (refusals) {
            if (refusals.isEmpty()) {
                return null;
            }
            Matcher m = NAMED_PATH.matcher(message);
            String found = null;
            boolean named = false;
            while (m.find()) {
                String p = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                named = true;
                try {
                    String reason = refusals.get(key(parsePath(p)));
                    if (reason != null) {
                        found = reason; // the last named path wins (the target of a rename)
                    }
                } catch (RuntimeException notAPath) {
                    // not a path
                }
            }
            if (found != null) {
                return found;
            }
            if (!named && message.contains("Permission denied")) {
                Map.Entry<String, String> last = null;
                for (Map.Entry<String, String> e : refusals.entrySet()) {
                    last = e;
                }
                return hostPaths.get().scrub(last.getKey()) + ": " + last.getValue();
            }
        }
        return null;
    }

    /**
     * How messages shown to this file system's scripts name host folders.
     *
     * @return the sandbox's naming
     */
    public HostPaths hostPaths() {
        return hostPaths.get();
    }

    /** Forgets the recorded refusals (a new cell starts). */
    public void clearRefusals() {
        synchronized (refusals) {
            refusals.clear();
        }
    }

    private static boolean isUnder(Path p, Path root) {
        return p.equals(root) || p.startsWith(root);
    }

    /** Real path of the longest existing prefix of an absolute normalised path, with the remaining names appended. */
    private Path realOfExistingPrefix(Path abs, Path given) throws IOException {
        Path existing = abs;
        List<Path> rest = new ArrayList<>();
        while (existing != null && !Files.exists(existing)) {
            if (Files.isSymbolicLink(existing)) {
                throw refuse(given, "a symbolic link on the way leads nowhere (dangling links are not followed)");
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
            throw refuse(path, "the sandbox workspace itself cannot be deleted");
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
        if (writes) {
            refuseSharedInode(path, p);
        }
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
        Path p = check(path, Mode.WRITE, follows(options));
        refuseSharedInode(path, p);
        Files.setAttribute(p, attribute, value, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Refuses to change the content or attributes of a file that has other hard links: the other names may lie outside
     * the workspace or in a protected tree (scripts cannot create hard links, but the workspace may hold one already),
     * so writing it would change a file the sandbox does not grant. Renaming or deleting the name is allowed (the other
     * names keep the file).
     */
    private void refuseSharedInode(Path path, Path checked) throws IOException {
        if (!Files.isRegularFile(checked, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Object links;
        try {
            links = Files.getAttribute(checked, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
            return; // no link counts on this file system
        }
        if (links instanceof Integer n && n > 1) {
            throw refuse(
                    path,
                    "read-only to scripts: the file has " + (n - 1) + " other hard link(s), which may lie outside the"
                            + " workspace; writing it would change them too");
        }
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
        throw refuse(link, "scripts cannot create links");
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        throw refuse(link, "scripts cannot create symbolic links");
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
