package dev.winnow.webui.notebook.page;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The notebook page: {@code index.html}, its own styles and the frame size reporter, and the bundle the build makes
 * from {@code src/main/frontend} with npm and esbuild (the page's script, its chunks, the libraries' styles and KaTeX's
 * fonts, named in the bundle's {@code assets.list}), all in the jar (no CDN), and the page's Content-Security-Policy.
 *
 * <p>Rich outputs run in {@code <iframe sandbox="allow-scripts" srcdoc=...>} frames, which inherit the page's policy:
 * the only inline script the policy allows is the frame's size reporter ({@code frame-resizer.js}, allowed by its
 * SHA-256), so HTML from a notebook shows but its own scripts do not run, and the frame (an opaque origin) can reach
 * neither the page nor the API.
 */
public final class PageAssets {
    private static final String BASE = "/dev/winnow/webui/notebook/page/";
    /** The files beside index.html that are not made by the front-end build. */
    private static final List<String> OWN = List.of("frame-resizer.js", "notebook.css");
    /** What the bundle's file names end in, and their types. */
    private static final Map<String, String> TYPES = Map.of(
            ".js", "text/javascript; charset=utf-8",
            ".css", "text/css; charset=utf-8",
            ".woff2", "font/woff2",
            ".txt", "text/plain; charset=utf-8");

    /**
     * One static file.
     *
     * @param contentType its MIME type with charset
     * @param bytes its content
     */
    public record Asset(String contentType, byte[] bytes) {}

    private final String indexHtml;
    private final Map<String, Asset> assets;
    private final String csp;

    private PageAssets(String indexHtml, Map<String, Asset> assets, String csp) {
        this.indexHtml = indexHtml;
        this.assets = assets;
        this.csp = csp;
    }

    /**
     * Loads the page's files from the class path.
     *
     * @return the assets
     * @throws IllegalStateException when one is missing from the jar (the bundle is missing when the front-end build
     *     did not run: build web-ui with Maven)
     */
    public static PageAssets load() {
        Map<String, Asset> m = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(OWN);
        String list = new String(read("assets.list"), StandardCharsets.UTF_8);
        list.lines().filter(l -> !l.isBlank()).forEach(names::add);
        for (String name : names) {
            if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")) {
                throw new IllegalStateException(
                        "page asset name '" + name + "' in assets.list is not a plain file name");
            }
            if (name.equals("assets.list")) {
                continue;
            }
            String type = TYPES.entrySet().stream()
                    .filter(t -> name.endsWith(t.getKey()))
                    .map(Map.Entry::getValue)
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("page asset " + name + " has no known type"));
            m.put(name, new Asset(type, read(name)));
        }
        if (!m.containsKey("notebook.js")) {
            throw new IllegalStateException(
                    "the notebook page's bundle has no notebook.js (assets.list: " + names + ")");
        }
        String resizer = new String(m.get("frame-resizer.js").bytes(), StandardCharsets.UTF_8);
        String hash;
        try {
            hash = Base64.getEncoder()
                    .encodeToString(
                            MessageDigest.getInstance("SHA-256").digest(resizer.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
        String csp = "default-src 'none'; script-src 'self' 'sha256-" + hash + "'; style-src 'self' 'unsafe-inline'; "
                + "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self' about:; base-uri 'none'; "
                + "form-action 'none'; frame-ancestors 'none'";
        String html =
                new String(read("index.html"), StandardCharsets.UTF_8).replace("{{FRAME_HASH}}", "sha256-" + hash);
        return new PageAssets(html, Map.copyOf(m), csp);
    }

    private static byte[] read(String name) {
        try (InputStream in = PageAssets.class.getResourceAsStream(BASE + name)) {
            if (in == null) {
                throw new IllegalStateException("page asset " + name + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read page asset " + name, e);
        }
    }

    /**
     * The page with the CSRF token in its {@code <meta name="winnow-csrf">} (and the size reporter's hash, which the
     * frames' own policy names, in {@code <meta name="winnow-frame-hash">}).
     *
     * @param csrfToken the token (base64url: no characters to escape)
     * @return the HTML
     */
    public String indexHtml(String csrfToken) {
        if (!csrfToken.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("CSRF token must be base64url");
        }
        return indexHtml.replace("{{CSRF}}", csrfToken);
    }

    /**
     * A static file by name.
     *
     * @param name e.g. {@code notebook.js}
     * @return the file, or {@code null} when there is none of that name
     */
    public Asset asset(String name) {
        return assets.get(name);
    }

    /**
     * The page's Content-Security-Policy header value.
     *
     * @return the policy
     */
    public String contentSecurityPolicy() {
        return csp;
    }
}
