package dev.winnow.scripting.sandbox;

import dev.winnow.models.WinnowHome;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.graalvm.polyglot.Engine;

/**
 * The host's own folders as scripts may see them named: error messages and tracebacks shown to scripts and in notebook
 * outputs name the GraalPy home, GraalVM's resource cache, {@code $WINNOW_HOME}, the repository, the JDK, the class
 * path folders and the user's home by placeholders ({@code <graalpy-home>}, {@code
 * <winnow-home>}, ...), never by their absolute paths. (The temporary directory is not named: scripts' own
 * paths there stay readable in their tracebacks.) Paths under the workspace or a read-only root (which the
 * script was given) are kept as they are.
 *
 * <p>Immutable and thread-safe.
 */
public final class HostPaths {
    /** Placeholder of the GraalPy home (its standard library), under GraalVM's resource cache. */
    public static final String GRAALPY_HOME = "<graalpy-home>";

    /** Placeholder of {@code $WINNOW_HOME}. */
    public static final String WINNOW_HOME = "<winnow-home>";

    /**
     * A labelled host folder.
     *
     * @param path the folder, absolute and normalised (need not exist)
     * @param placeholder what messages show instead of its path, e.g. {@code <winnow-home>}
     * @param description what it is, for refusal reasons, e.g. {@code "the Winnow home"}
     * @param protect whether scripts must never write it (the user's home is only named)
     */
    public record Tree(Path path, String placeholder, String description, boolean protect) {}

    /** An absolute path in free text: a slash not preceded by a name character, up to a quote, space or bracket. */
    private static final Pattern ABSOLUTE = Pattern.compile("(?<![A-Za-z0-9_.~$-])/[^\\s'\"`<>|;,(){}\\[\\]]*");

    private final List<String> kept;
    private final List<Tree> trees; // longest path first
    private final List<String[]> forms; // {prefix, placeholder}, longest prefix first

    private HostPaths(List<Path> kept, List<Tree> trees) {
        Set<String> k = new LinkedHashSet<>();
        for (Path p : kept) {
            k.add(p.toString());
            k.add(real(p).toString());
        }
        this.kept = List.copyOf(k);
        List<Tree> sorted = new ArrayList<>(trees);
        sorted.sort(Comparator.comparingInt((Tree t) -> t.path().toString().length())
                .reversed());
        this.trees = List.copyOf(sorted);
        List<String[]> f = new ArrayList<>();
        for (Tree t : sorted) {
            for (Path p : new Path[] {t.path(), real(t.path())}) {
                String s = p.toString();
                if (!s.equals("/") && f.stream().noneMatch(x -> x[0].equals(s))) {
                    f.add(new String[] {s, t.placeholder()});
                }
            }
        }
        f.sort(Comparator.comparingInt((String[] x) -> x[0].length()).reversed());
        this.forms = List.copyOf(f);
    }

    /**
     * The host paths of a sandbox: the product's folders (see {@link #productTrees()}) named by placeholders, the
     * workspace and read-only roots kept.
     *
     * @param workspace the sandbox's workspace
     * @param readOnlyRoots its read-only roots
     * @return the naming
     */
    public static HostPaths of(Path workspace, List<Path> readOnlyRoots) {
        List<Path> kept = new ArrayList<>();
        kept.add(workspace);
        kept.addAll(readOnlyRoots);
        return new HostPaths(kept, productTrees());
    }

    /**
     * What this JVM loads as code or native libraries, or keeps as Winnow's cache (protected: scripts never write
     * them), and the folders that are only named: GraalVM's internal resource cache ({@code
     * polyglot.engine.userResourceCache}, else {@code $XDG_CACHE_HOME} or {@code ~/.cache}, then {@code
     * org.graalvm.polyglot}; and {@code polyglot.engine.resourcePath}) with the GraalPy homes in it; {@code
     * $WINNOW_HOME} ({@code winnow.home}, default {@code ~/.cache/winnow}) and its top-level folders; an explicit
     * llama.cpp library directory ({@code winnow.llama.lib.dir}, {@code WINNOW_LLAMA_LIB_DIR}); the repository ({@code
     * winnow.repo.dir}, set by {@code ./winnow}) and its top-level folders; each class path, module path and upgrade
     * module path entry (the folder of a jar, since {@code lib/*} loads any jar put there); where Winnow's and GraalVM's
     * classes were loaded from; {@code java.home}; and, only named, {@code user.home}.
     *
     * @return the trees, absolute and normalised (they need not exist), never the file system root
     */
    public static List<Tree> productTrees() {
        List<Tree> t = new ArrayList<>();
        String home = System.getProperty("user.home", ".");
        List<Path> caches = new ArrayList<>();
        String userCache = System.getProperty("polyglot.engine.userResourceCache");
        if (userCache != null && !userCache.isBlank()) {
            caches.add(Path.of(userCache));
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            caches.add(Path.of(xdg, "org.graalvm.polyglot"));
        }
        caches.add(Path.of(home, ".cache", "org.graalvm.polyglot"));
        String resourcePath = System.getProperty("polyglot.engine.resourcePath");
        if (resourcePath != null && !resourcePath.isBlank()) {
            caches.add(Path.of(resourcePath));
        }
        for (Path cache : caches) {
            t.add(new Tree(cache, "<graalvm-cache>", "GraalVM's resource cache", true));
            for (Path pyHome : children(cache.resolve("python").resolve("python-home"))) {
                t.add(new Tree(pyHome, GRAALPY_HOME, "the GraalPy home", true));
            }
        }
        Path winnowHome = WinnowHome.dir();
        t.add(new Tree(winnowHome, WINNOW_HOME, "the Winnow home", true));
        for (Path child : children(winnowHome)) {
            t.add(new Tree(child, WINNOW_HOME + "/" + child.getFileName(), "the Winnow home", true));
        }
        for (String lib :
                new String[] {System.getProperty("winnow.llama.lib.dir"), System.getenv("WINNOW_LLAMA_LIB_DIR")}) {
            if (lib != null && !lib.isBlank()) {
                t.add(new Tree(Path.of(lib), "<llama-lib>", "the llama.cpp library folder", true));
            }
        }
        String repo = System.getProperty("winnow.repo.dir");
        if (repo != null && !repo.isBlank()) {
            t.add(new Tree(Path.of(repo), "<winnow-repo>", "the Winnow repository", true));
            for (Path child : children(Path.of(repo))) {
                t.add(new Tree(child, "<winnow-repo>/" + child.getFileName(), "the Winnow repository", true));
            }
        }
        for (String key : new String[] {"java.class.path", "jdk.module.path", "jdk.module.upgrade.path"}) {
            String value = System.getProperty(key);
            if (value == null || value.isBlank()) {
                continue;
            }
            for (String entry : value.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    Path folder =
                            codeFolder(Path.of(entry.endsWith("*") ? entry.substring(0, entry.length() - 1) : entry));
                    t.add(new Tree(folder, "<class-path>", "a folder of Winnow's class path", true));
                }
            }
        }
        for (Class<?> c : new Class<?>[] {HostPaths.class, Engine.class, WinnowHome.class}) {
            try {
                var src = c.getProtectionDomain().getCodeSource();
                if (src != null
                        && src.getLocation() != null
                        && "file".equals(src.getLocation().getProtocol())) {
                    Path folder = codeFolder(Path.of(src.getLocation().toURI()));
                    t.add(new Tree(folder, "<class-path>", "a folder of Winnow's class path", true));
                }
            } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
                // an unusual code source: the class path entries above still cover it
            }
        }
        t.add(new Tree(Path.of(System.getProperty("java.home")), "<java-home>", "the Java runtime", true));
        t.add(new Tree(Path.of(home), "<home>", "the user's home", false));
        List<Tree> out = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (Tree tree : t) {
            Path abs = tree.path().toAbsolutePath().normalize();
            if (abs.getParent() != null && seen.add(abs)) {
                out.add(new Tree(
                        abs, tree.placeholder(), tree.description(), tree.protect())); // never the file system root
            }
        }
        return out;
    }

    /**
     * Replaces every absolute host path in a text that lies in one of the named folders, and not under the workspace or
     * a read-only root, by the folder's placeholder followed by the rest of the path.
     *
     * @param text a message or traceback, or {@code null}
     * @return the text with host paths replaced ({@code null} for {@code null})
     */
    public String scrub(String text) {
        if (text == null || text.indexOf('/') < 0) {
            return text;
        }
        Matcher m = ABSOLUTE.matcher(text);
        StringBuilder b = new StringBuilder(text.length());
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(replace(m.group())));
        }
        m.appendTail(b);
        return b.toString();
    }

    private String replace(String path) {
        for (String k : kept) {
            if (under(path, k)) {
                return path;
            }
        }
        for (String[] f : forms) {
            if (under(path, f[0])) {
                return f[1] + path.substring(f[0].length());
            }
        }
        return path;
    }

    /**
     * How a refusal names a host folder: the description and placeholder of the most specific named folder that holds
     * the path, e.g. {@code "the Winnow home (<winnow-home>)"}, or {@code null} when none does.
     *
     * @param path an absolute, normalised real path
     * @return the description, or {@code null}
     */
    public String describe(Path path) {
        for (Tree t : trees) {
            if (path.startsWith(t.path()) || path.startsWith(real(t.path()))) {
                return t.description() + " (" + t.placeholder() + ")";
            }
        }
        return null;
    }

    private static boolean under(String path, String prefix) {
        return path.startsWith(prefix)
                && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/' || prefix.endsWith("/"));
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException | SecurityException e) {
            return p;
        }
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
}
