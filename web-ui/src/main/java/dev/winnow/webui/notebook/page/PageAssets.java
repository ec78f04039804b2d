package dev.winnow.webui.notebook.page;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The notebook page: {@code index.html} and the scripts and styles beside it, bundled in the jar (no CDN, no build
 * step), and the page's Content-Security-Policy.
 *
 * <p>Rich outputs run in {@code <iframe sandbox="allow-scripts" srcdoc=...>} frames, which inherit the page's policy:
 * the only inline script the policy allows is the frame's size reporter ({@code frame-resizer.js}, allowed by its
 * SHA-256), so HTML from a notebook shows but its own scripts do not run, and the frame (an opaque origin) can reach
 * neither the page nor the API.
 */
public final class PageAssets {
  private static final String BASE = "/dev/winnow/webui/notebook/page/";
  private static final Map<String, String> TYPES =
      Map.of(
          "notebook.js", "text/javascript; charset=utf-8",
          "views.js", "text/javascript; charset=utf-8",
          "markdown.js", "text/javascript; charset=utf-8",
          "frame-resizer.js", "text/javascript; charset=utf-8",
          "notebook.css", "text/css; charset=utf-8");

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
   * @throws IllegalStateException when one is missing from the jar
   */
  public static PageAssets load() {
    Map<String, Asset> m = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : TYPES.entrySet()) {
      m.put(e.getKey(), new Asset(e.getValue(), read(e.getKey())));
    }
    String resizer = new String(m.get("frame-resizer.js").bytes(), StandardCharsets.UTF_8);
    String hash;
    try {
      hash = Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(resizer.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
    String csp =
        "default-src 'none'; script-src 'self' 'sha256-" + hash + "'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; connect-src 'self'; frame-src 'self' about:; base-uri 'none'; "
            + "form-action 'none'; frame-ancestors 'none'";
    String html = new String(read("index.html"), StandardCharsets.UTF_8).replace("{{FRAME_HASH}}", "sha256-" + hash);
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
