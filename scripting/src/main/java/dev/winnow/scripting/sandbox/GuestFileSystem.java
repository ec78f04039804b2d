package dev.winnow.scripting.sandbox;

import dev.winnow.scripting.Sandbox;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.Charset;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.graalvm.polyglot.io.FileSystem;

/**
 * The file system guest code sees: {@link SandboxFileSystem}'s rules, plus read-only access to the engine's internal
 * resources (the GraalPy home with its standard library, the {@code engine/} native libraries).
 *
 * <p>GraalVM's {@link FileSystem#allowInternalResourceAccess(FileSystem)} serves the internal resources through the
 * host's default file system, writable, and routes every operation on those paths there, past the sandbox. Here only
 * operations that read go through that composite; every operation that may create, change, rename or remove a file
 * (an open with a write option, {@code checkAccess} for writing, {@code createDirectory}, {@code delete}, {@code
 * copy}, {@code move}, links, {@code setAttribute}) goes to the sandbox's file system, which refuses anything outside
 * the workspace and anything inside a protected tree, whatever the path. GraalPy's {@code __pycache__} writes into its
 * home therefore fail too (silently, as Python ignores a byte-code cache it cannot write).
 */
public final class GuestFileSystem implements FileSystem {
    private final SandboxFileSystem sandbox;
    private final FileSystem reads;

    /**
     * Creates the guest file system of a sandbox.
     *
     * @param sandbox what scripts may touch
     * @param hostPaths how messages name host folders: the sandbox's {@link Sandbox#hostPaths()}, built once by the
     *     caller (asked for when a message is made, not here)
     */
    public GuestFileSystem(Sandbox sandbox, Supplier<HostPaths> hostPaths) {
        this.sandbox = new SandboxFileSystem(sandbox, hostPaths);
        this.reads = FileSystem.allowInternalResourceAccess(this.sandbox);
    }

    /**
     * Why the sandbox refused a path that an error message names (see {@link SandboxFileSystem#refusal(String)}).
     *
     * @param message the guest error's message
     * @return the reason, or {@code null}
     */
    public String refusal(String message) {
        return sandbox.refusal(message);
    }

    /** Forgets the recorded refusals (a new cell starts). */
    public void clearRefusals() {
        sandbox.clearRefusals();
    }

    /**
     * How messages shown to scripts name host folders.
     *
     * @return the sandbox's naming
     */
    public HostPaths hostPaths() {
        return sandbox.hostPaths();
    }

    private static boolean writes(Set<? extends OpenOption> options) {
        for (OpenOption o : options) {
            if (o == StandardOpenOption.WRITE
                    || o == StandardOpenOption.APPEND
                    || o == StandardOpenOption.CREATE
                    || o == StandardOpenOption.CREATE_NEW
                    || o == StandardOpenOption.TRUNCATE_EXISTING
                    || o == StandardOpenOption.DELETE_ON_CLOSE) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Path parsePath(URI uri) {
        return reads.parsePath(uri);
    }

    @Override
    public Path parsePath(String path) {
        return reads.parsePath(path);
    }

    @Override
    public void checkAccess(Path path, Set<? extends AccessMode> modes, LinkOption... linkOptions) throws IOException {
        if (modes.contains(AccessMode.WRITE)) {
            sandbox.checkAccess(path, modes, linkOptions);
        } else {
            reads.checkAccess(path, modes, linkOptions);
        }
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        sandbox.createDirectory(dir, attrs);
    }

    @Override
    public void delete(Path path) throws IOException {
        sandbox.delete(path);
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return writes(options)
                ? sandbox.newByteChannel(path, options, attrs)
                : reads.newByteChannel(path, options, attrs);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        return reads.newDirectoryStream(dir, filter);
    }

    @Override
    public Path toAbsolutePath(Path path) {
        return reads.toAbsolutePath(path);
    }

    @Override
    public Path toRealPath(Path path, LinkOption... linkOptions) throws IOException {
        return reads.toRealPath(path, linkOptions);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        return reads.readAttributes(path, attributes, options);
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        sandbox.setAttribute(path, attribute, value, options);
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        sandbox.copy(source, target, options);
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        sandbox.move(source, target, options);
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        sandbox.createLink(link, existing);
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        sandbox.createSymbolicLink(link, target, attrs);
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        return reads.readSymbolicLink(link);
    }

    @Override
    public void setCurrentWorkingDirectory(Path dir) {
        reads.setCurrentWorkingDirectory(dir);
    }

    @Override
    public String getSeparator() {
        return reads.getSeparator();
    }

    @Override
    public String getPathSeparator() {
        return reads.getPathSeparator();
    }

    @Override
    public String getMimeType(Path path) {
        return reads.getMimeType(path);
    }

    @Override
    public Charset getEncoding(Path path) {
        return reads.getEncoding(path);
    }

    @Override
    public Path getTempDirectory() {
        return sandbox.getTempDirectory();
    }

    @Override
    public boolean isSameFile(Path path1, Path path2, LinkOption... options) throws IOException {
        return reads.isSameFile(path1, path2, options);
    }
}
