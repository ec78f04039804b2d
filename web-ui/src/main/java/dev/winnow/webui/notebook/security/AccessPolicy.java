package dev.winnow.webui.notebook.security;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may talk to the notebook server, checked on every request (the server runs code, so every request is treated as
 * a request to run code):
 *
 * <ul>
 *   <li><b>Token</b>: a random 256-bit secret, given in the start-up URL ({@code ?token=}), then kept by the browser in
 *       an {@code HttpOnly; SameSite=Strict} cookie; programs may send {@code Authorization: token T}. Missing: 401;
 *       wrong: 403. Compared in constant time.
 *   <li><b>Host</b> (DNS rebinding): the {@code Host} header must name a loopback address ({@code localhost},
 *       {@code 127.0.0.1}, {@code [::1]}, any port) or one of the configured extra names; else 403.
 *   <li><b>Origin</b>: on WebSocket upgrades and state-changing requests (POST, PUT, PATCH, DELETE), an
 *       {@code Origin} header, when present, must be {@code http://} plus an allowed host; else 403. {@code null}
 *       (sandboxed frames, files) is refused.
 *   <li><b>CSRF</b>: state-changing requests authenticated by the cookie must also carry the header {@code
 *       X-Winnow-Csrf} with the per-server CSRF token that the page receives in its HTML; a cross-site form cannot
 *       set a header. Requests authenticated by the {@code Authorization} header need no CSRF token.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class AccessPolicy {
  /** The cookie holding the token after the first visit. */
  public static final String COOKIE = "winnow_token";
  /** The header carrying the CSRF token on state-changing requests. */
  public static final String CSRF_HEADER = "X-Winnow-Csrf";

  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
  private static final Set<String> STATE_CHANGING = Set.of("POST", "PUT", "PATCH", "DELETE");

  private final String token;
  private final String csrfToken;
  private final Set<String> extraHosts;

  /**
   * Creates a policy.
   *
   * @param token the access token (at least 16 characters)
   * @param csrfToken the CSRF token (at least 16 characters)
   * @param extraHosts host names accepted in {@code Host} besides loopback names (lower case, no port); may be empty
   */
  public AccessPolicy(String token, String csrfToken, List<String> extraHosts) {
    if (token == null || token.length() < 16 || csrfToken == null || csrfToken.length() < 16) {
      throw new IllegalArgumentException("access and CSRF tokens must have at least 16 characters");
    }
    this.token = token;
    this.csrfToken = csrfToken;
    TreeSet<String> hosts = new TreeSet<>();
    for (String h : extraHosts) {
      if (h == null || h.isBlank() || h.contains("/") || h.contains(" ")) {
        throw new IllegalArgumentException("allowed host '" + h + "' is not a host name");
      }
      hosts.add(h.toLowerCase(Locale.ROOT));
    }
    this.extraHosts = Set.copyOf(hosts);
  }

  /**
   * A policy with fresh random tokens (256 bits each, base64url).
   *
   * @param extraHosts host names accepted besides loopback names
   * @return the policy
   */
  public static AccessPolicy random(List<String> extraHosts) {
    return new AccessPolicy(randomToken(), randomToken(), extraHosts);
  }

  private static String randomToken() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * The access token.
   *
   * @return the secret to put in the start-up URL
   */
  public String token() {
    return token;
  }

  /**
   * The CSRF token the page sends back in {@link #CSRF_HEADER}.
   *
   * @return the CSRF token
   */
  public String csrfToken() {
    return csrfToken;
  }

  /**
   * What one request presents; the server fills it from the HTTP request.
   *
   * @param method the HTTP method, upper case
   * @param host the {@code Host} header, or {@code null}
   * @param origin the {@code Origin} header, or {@code null}
   * @param queryToken the {@code token} query parameter, or {@code null}
   * @param cookieToken the {@link #COOKIE} cookie, or {@code null}
   * @param authorization the {@code Authorization} header, or {@code null}
   * @param csrf the {@link #CSRF_HEADER} header, or {@code null}
   * @param webSocket whether the request asks for a WebSocket upgrade
   */
  public record Request(
      String method,
      String host,
      String origin,
      String queryToken,
      String cookieToken,
      String authorization,
      String csrf,
      boolean webSocket) {}

  /** How a request that passed {@link #check} proved it holds the token. */
  public enum Proof {
    /** The {@code token} query parameter (the server then sets the cookie). */
    QUERY,
    /** The cookie. */
    COOKIE,
    /** The {@code Authorization: token T} header. */
    HEADER
  }

  /**
   * Checks a request; the order is Host, token, Origin, CSRF.
   *
   * @param r the request
   * @return how the token was presented
   * @throws Refusal 403 for a foreign Host or Origin, a wrong token or a missing/wrong CSRF token; 401 when no token
   *     was presented
   */
  public Proof check(Request r) {
    String hostName = hostName(r.host());
    if (hostName == null || !(LOOPBACK.contains(hostName) || extraHosts.contains(hostName))) {
      throw new Refusal(
          403, "Host header '" + r.host() + "' is not a loopback name or a configured host (DNS rebinding check)");
    }
    Proof proof;
    String presented;
    String auth = r.authorization();
    if (auth != null && auth.regionMatches(true, 0, "token ", 0, 6)) {
      proof = Proof.HEADER;
      presented = auth.substring(6).trim();
    } else if (r.queryToken() != null) {
      proof = Proof.QUERY;
      presented = r.queryToken();
    } else if (r.cookieToken() != null) {
      proof = Proof.COOKIE;
      presented = r.cookieToken();
    } else {
      throw new Refusal(401, "no access token: open the URL printed at start-up (it ends in ?token=...)");
    }
    if (!constantTimeEquals(presented, token)) {
      throw new Refusal(403, "wrong access token");
    }
    boolean changing = STATE_CHANGING.contains(r.method());
    if ((changing || r.webSocket()) && r.origin() != null) {
      if (!originAllowed(r.origin())) {
        throw new Refusal(403, "Origin '" + r.origin() + "' is not this server's origin");
      }
    }
    if (changing && proof != Proof.HEADER && !constantTimeEquals(r.csrf() == null ? "" : r.csrf(), csrfToken)) {
      throw new Refusal(403, "missing or wrong " + CSRF_HEADER + " header on a " + r.method() + " request (CSRF)");
    }
    return proof;
  }

  private boolean originAllowed(String origin) {
    URI u;
    try {
      u = URI.create(origin);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
      return false;
    }
    String h = u.getHost().toLowerCase(Locale.ROOT);
    return LOOPBACK.contains(h) || extraHosts.contains(h);
  }

  /**
   * The host name of a {@code Host} header value: lower case, port removed, IPv6 literals kept in brackets.
   *
   * @param host the header value
   * @return the name, or {@code null} for a missing or malformed value
   */
  static String hostName(String host) {
    if (host == null || host.isBlank()) {
      return null;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      if (end < 0) {
        return null;
      }
      String rest = h.substring(end + 1);
      if (!rest.isEmpty() && !rest.matches(":[0-9]{1,5}")) {
        return null;
      }
      return h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    if (colon >= 0) {
      if (!h.substring(colon).matches(":[0-9]{1,5}")) {
        return null;
      }
      h = h.substring(0, colon);
    }
    return h;
  }

  private static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
