package dev.winnow.webui.notebook.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.Language;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@code .ipynb} files of one directory tree: list, read, create, save, rename, delete, and one checkpoint per
 * notebook (Jupyter's layout: {@code .ipynb_checkpoints/NAME-checkpoint.ipynb} beside the notebook) to revert to.
 *
 * <p>Paths are relative, {@code /}-separated, end in {@code .ipynb}, and stay inside the root: absolute paths, {@code
 * ..} segments, hidden segments (starting with {@code .}), backslashes, control characters and symbolic links that
 * lead out of the root are refused with {@link IllegalArgumentException}. Every write goes to a temporary file in the
 * target's directory, is forced to disk, then atomically renamed over the target: a reader never sees half a
 * notebook. Thread-safe: writes are serialised.
 */
public final class NotebookStore {
    private static final int MAX_DEPTH = 8;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;

    /**
     * Opens the store over a directory.
     *
     * @param root an existing directory
     * @throws IllegalArgumentException when it is not a directory
     */
    public NotebookStore(Path root) {
        if (root == null || !Files.isDirectory(root)) {
            throw new IllegalArgumentException("notebook directory " + root + " is not an existing directory");
        }
        try {
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resolve notebook directory " + root, e);
        }
    }

    /**
     * The directory, as a real path.
     *
     * @return the root
     */
    public Path root() {
        return root;
    }

    /**
     * One notebook file.
     *
     * @param path the relative path, {@code /}-separated
     * @param size bytes
     * @param modified last modification time
     */
    public record Entry(String path, long size, Instant modified) {}

    /**
     * The notebooks under the root (hidden directories skipped, at most 8 levels deep), sorted by path.
     *
     * @return the entries
     * @throws IOException when the tree cannot be read
     */
    public List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root, MAX_DEPTH, new FileVisitOption[0])) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path rel = root.relativize(p);
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        || !p.getFileName().toString().endsWith(".ipynb")
                        || hidden(rel)) {
                    continue;
                }
                out.add(new Entry(
                        slashed(rel),
                        Files.size(p),
                        Files.getLastModifiedTime(p).toInstant()));
            }
        }
        out.sort(Comparator.comparing(Entry::path));
        return out;
    }

    /**
     * Reads and checks a notebook.
     *
     * @param path the relative path
     * @return the nbformat 4.5 document (completed as {@link NotebookFormat#normalise} does)
     * @throws NoSuchFileException when there is no such notebook
     * @throws IllegalArgumentException for a bad path or a file that is not an nbformat 4 notebook
     * @throws IOException when the file cannot be read
     */
    public ObjectNode read(String path) throws IOException {
        Path file = resolve(path);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(path);
        }
        JsonNode doc;
        try {
            doc = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(path + " is not JSON: " + e.getOriginalMessage(), e);
        }
        try {
            return NotebookFormat.normalise(doc);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates a notebook with one empty cell.
     *
     * @param path the relative path of the new file
     * @param language its default language
     * @return the document written
     * @throws FileAlreadyExistsException when the file exists
     * @throws IOException when it cannot be written
     */
    public synchronized ObjectNode create(String path, Language language) throws IOException {
        Path file = resolve(path);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(path);
        }
        ObjectNode nb = NotebookFormat.empty(language);
        Files.createDirectories(file.getParent());
        writeAtomically(file, nb);
        return nb;
    }

    /**
     * Checks a document and writes it (autosave): the file is replaced atomically.
     *
     * @param path the relative path
     * @param notebook the document
     * @return the document as written (completed by {@link NotebookFormat#normalise})
     * @throws IllegalArgumentException for a bad path or document; nothing is written then
     * @throws IOException when it cannot be written
     */
    public synchronized ObjectNode save(String path, JsonNode notebook) throws IOException {
        Path file = resolve(path);
        ObjectNode nb = NotebookFormat.normalise(notebook);
        Files.createDirectories(file.getParent());
        writeAtomically(file, nb);
        return nb;
    }

    /**
     * Renames a notebook (and its checkpoint).
     *
     * @param from the current relative path
     * @param to the new relative path
     * @throws NoSuchFileException when {@code from} does not exist
     * @throws FileAlreadyExistsException when {@code to} exists
     * @throws IOException when it cannot be moved
     */
    public synchronized void rename(String from, String to) throws IOException {
        Path a = resolve(from);
        Path b = resolve(to);
        if (!Files.isRegularFile(a)) {
            throw new NoSuchFileException(from);
        }
        if (Files.exists(b, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(to);
        }
        Path ca = checkpointFile(a);
        Files.createDirectories(b.getParent());
        Path cb = checkpointFile(b);
        Files.move(a, b, StandardCopyOption.ATOMIC_MOVE);
        if (Files.exists(ca)) {
            Files.createDirectories(cb.getParent());
            Files.move(ca, cb, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Deletes a notebook and its checkpoint.
     *
     * @param path the relative path
     * @throws NoSuchFileException when there is no such notebook
     * @throws IOException when it cannot be deleted
     */
    public synchronized void delete(String path) throws IOException {
        Path file = resolve(path);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(path);
        }
        Path cp = checkpointFile(file);
        Files.delete(file);
        Files.deleteIfExists(cp);
    }

    /**
     * Copies the notebook's current file to its checkpoint (replacing the previous one).
     *
     * @param path the relative path
     * @return when the checkpoint was taken (the checkpoint file's modification time)
     * @throws NoSuchFileException when there is no such notebook
     * @throws IOException when it cannot be copied
     */
    public synchronized Instant checkpoint(String path) throws IOException {
        Path file = resolve(path);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(path);
        }
        Path cp = checkpointFile(file);
        Files.createDirectories(cp.getParent());
        cp = checkpointFile(file);
        Path tmp = tempFileInside(cp.getParent());
        try {
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            move(tmp, cp);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return Files.getLastModifiedTime(cp).toInstant();
    }

    /**
     * When the notebook's checkpoint was taken.
     *
     * @param path the relative path
     * @return the time, or empty when it has none
     * @throws IOException when it cannot be read
     */
    public Optional<Instant> checkpointTime(String path) throws IOException {
        Path cp = checkpointFile(resolve(path));
        return Files.isRegularFile(cp)
                ? Optional.of(Files.getLastModifiedTime(cp).toInstant())
                : Optional.empty();
    }

    /**
     * Replaces the notebook with its checkpoint.
     *
     * @param path the relative path
     * @return the restored document
     * @throws NoSuchFileException when the notebook has no checkpoint
     * @throws IOException when it cannot be restored
     */
    public synchronized ObjectNode revert(String path) throws IOException {
        Path file = resolve(path);
        Path cp = checkpointFile(file);
        if (!Files.isRegularFile(cp)) {
            throw new NoSuchFileException(path + " has no checkpoint");
        }
        ObjectNode nb = NotebookFormat.normalise(JSON.readTree(Files.readString(cp, StandardCharsets.UTF_8)));
        writeAtomically(file, nb);
        return nb;
    }

    /** Image files {@link #readImage} serves, by file name ending (lower case), and their types; never SVG (scripts). */
    public static final Map<String, String> IMAGE_TYPES = Map.of(
            ".png",
            "image/png",
            ".jpg",
            "image/jpeg",
            ".jpeg",
            "image/jpeg",
            ".gif",
            "image/gif",
            ".webp",
            "image/webp");

    /** The largest image {@link #readImage} serves. */
    public static final long MAX_IMAGE_BYTES = 20L << 20;

    /**
     * An image file read for a markdown cell.
     *
     * @param contentType its MIME type, from its name
     * @param bytes its content
     */
    public record Image(String contentType, byte[] bytes) {}

    /**
     * Reads an image inside the notebook directory (a markdown cell's {@code ![](figure.png)}): the path is checked as
     * notebook paths are (relative, no {@code ..}, hidden or empty segments, inside the directory after following
     * symbolic links), and must end in a raster image type of {@link #IMAGE_TYPES} and be a regular file of at most
     * {@link #MAX_IMAGE_BYTES}.
     *
     * @param path the path relative to the directory, {@code /}-separated
     * @return the image
     * @throws IllegalArgumentException for a bad path or a file that is not such an image
     * @throws NoSuchFileException when there is no such file
     * @throws IOException when it cannot be read
     */
    public Image readImage(String path) throws IOException {
        String type = path == null
                ? null
                : IMAGE_TYPES.entrySet().stream()
                        .filter(e -> path.toLowerCase(Locale.ROOT).endsWith(e.getKey()))
                        .map(Map.Entry::getValue)
                        .findFirst()
                        .orElse(null);
        Path p = checkedPath(path, "image path");
        if (type == null) {
            throw new IllegalArgumentException(
                    "image path '" + path + "' is not a PNG, JPEG, GIF or WebP file name (only those are served)");
        }
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException(path);
        }
        // read through the real path, checked once more (the file itself may be a link inside the directory)
        Path real = p.toRealPath();
        if (!real.startsWith(root)) {
            throw new IllegalArgumentException(
                    "image path '" + path + "' leads out of the notebook directory (symbolic link)");
        }
        long size = Files.size(real);
        if (size > MAX_IMAGE_BYTES) {
            throw new IllegalArgumentException(
                    "image '" + path + "' is larger than " + (MAX_IMAGE_BYTES >> 20) + " MiB");
        }
        return new Image(type, Files.readAllBytes(real));
    }

    /** A relative path checked as {@link #resolve} checks notebook paths, without the {@code .ipynb} rule. */
    private Path checkedPath(String path, String what) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (path.length() > 255) {
            throw new IllegalArgumentException(what + " is longer than 255 characters");
        }
        if (path.startsWith("/") || path.contains("\\") || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException(
                    what
                            + " must be relative and / separated (an absolute path, a backslash or a control character was given)");
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals("..") || seg.startsWith(".")) {
                throw new IllegalArgumentException(what + " '" + path
                        + "' has an empty, '..' or hidden segment: paths stay inside the notebook directory");
            }
        }
        Path p = root.resolve(path).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException(what + " '" + path + "' leaves the notebook directory");
        }
        contained(p, what + " '" + path + "'");
        return p;
    }

    /**
     * Resolves a relative notebook path inside the root.
     *
     * @param path the relative path
     * @return the absolute path (the file need not exist)
     * @throws IllegalArgumentException when the path is empty, absolute, has {@code ..}, hidden or empty segments,
     *     backslashes or control characters, does not end in {@code .ipynb}, or leads out of the root through a
     *     symbolic link
     */
    public Path resolve(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("notebook path is empty");
        }
        if (path.length() > 255) {
            throw new IllegalArgumentException("notebook path is longer than 255 characters");
        }
        if (path.startsWith("/") || path.contains("\\") || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            // not echoed: an absolute path is the machine's, and errors never show absolute paths
            throw new IllegalArgumentException(
                    "notebook path must be relative and / separated (an absolute path, a backslash or a control character was"
                            + " given)");
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals("..") || seg.startsWith(".")) {
                throw new IllegalArgumentException("notebook path '" + path
                        + "' has an empty, '..' or hidden segment: paths stay inside the notebook directory");
            }
        }
        if (!path.endsWith(".ipynb")) {
            throw new IllegalArgumentException("notebook path '" + path + "' must end in .ipynb");
        }
        Path p = root.resolve(path).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("notebook path '" + path + "' leaves the notebook directory");
        }
        contained(p, "notebook path '" + path + "'");
        return p;
    }

    /**
     * Checks that a path inside the root stays inside it once symbolic links are followed: its deepest existing part
     * (the path itself when it exists, a dangling link included) must resolve to a real path under the root.
     *
     * @param p an absolute, normalised path under the root
     * @param what how to name it in the error (never an absolute path)
     * @throws IllegalArgumentException when it leads out of the root or cannot be resolved
     */
    private void contained(Path p, String what) {
        Path existing = p;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing != null) {
            boolean inside;
            try {
                inside = existing.toRealPath().startsWith(root);
            } catch (IOException e) {
                // a dangling link or a loop: its target cannot be checked, so it is not trusted
                throw new IllegalArgumentException(
                        what + " cannot be resolved inside the notebook directory ("
                                + e.getClass().getSimpleName() + ")",
                        e);
            }
            if (!inside) {
                throw new IllegalArgumentException(what + " leads out of the notebook directory (symbolic link)");
            }
        }
    }

    /**
     * The checkpoint file of a resolved notebook, checked like notebook paths: it and its directory must stay inside the
     * root after following symbolic links (a {@code .ipynb_checkpoints} link to elsewhere is refused).
     */
    private Path checkpointFile(Path notebook) {
        String name = notebook.getFileName().toString();
        String stem = name.substring(0, name.length() - ".ipynb".length());
        Path cp = notebook.resolveSibling(".ipynb_checkpoints").resolve(stem + "-checkpoint.ipynb");
        contained(cp, "checkpoint of '" + slashed(root.relativize(notebook)) + "'");
        return cp;
    }

    /**
     * A new temporary file in a directory that is checked again once the file exists: a directory swapped for a link
     * out of the root after the path checks (a cell writing under DIR could try) is noticed before anything is written.
     */
    private Path tempFileInside(Path directory) throws IOException {
        Path tmp = Files.createTempFile(directory, ".winnow-", ".tmp");
        if (!tmp.toRealPath().startsWith(root)) {
            Files.deleteIfExists(tmp);
            throw new IllegalArgumentException(
                    "a directory on the way leads out of the notebook directory (symbolic link)");
        }
        return tmp;
    }

    /**
     * Writes the notebook as Jupyter's writer does ({@link NbformatWriter}) through a temporary file renamed over the
     * target. The file keeps its permissions (a notebook that was 0644 stays 0644; the temporary file starts as 0600);
     * a new notebook gets {@code rw-r--r--}, as Jupyter's files under the usual umask 022.
     */
    private void writeAtomically(Path file, ObjectNode nb) throws IOException {
        byte[] bytes = NbformatWriter.write(nb);
        Path tmp = tempFileInside(file.getParent());
        try {
            if (Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.setPosixFilePermissions(
                        tmp,
                        Files.exists(file)
                                ? Files.getPosixFilePermissions(file)
                                : PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (var ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "the file system of " + target + " cannot rename atomically; refusing a non-atomic write", e);
        }
    }

    private static boolean hidden(Path rel) {
        for (Path seg : rel) {
            if (seg.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String slashed(Path rel) {
        StringBuilder b = new StringBuilder();
        for (Path seg : rel) {
            if (!b.isEmpty()) {
                b.append('/');
            }
            b.append(seg);
        }
        return b.toString();
    }
}
