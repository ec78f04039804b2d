package dev.winnow.webui.notebook.security;

import java.net.URI;
import java.net.URISyntaxException;
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
 *       an {@code HttpOnly; SameSite=Strict} cookie named per port ({@link #tokenCookie}: cookies do not separate
 *       ports, so two servers on two ports keep their own); programs may send {@code Authorization: token T}.
 *       Missing: 401; wrong: 403. Compared in constant time.
 *   <li><b>Host</b> (DNS rebinding): the {@code Host} header must name a loopback address ({@code localhost},
 *       {@code 127.0.0.1}, {@code [::1]}, any port) or one of the configured extra names; else 403.
 *   <li><b>Origin</b>: on WebSocket upgrades and state-changing requests (POST, PUT, PATCH, DELETE), an
 *       {@code Origin} header, when present, must be this server's own origin: scheme {@code http}, the host and port
 *       of the {@code Host} header, and that port must be the port the server listens on; or one of the explicitly
 *       allowed origins ({@code --allow-origin}). A page on another port of 127.0.0.1 is another origin. {@code null}
 *       (sandboxed frames, files) is refused. No {@code localhost}/{@code 127.0.0.1} equivalence: the names are
 *       different origins to a browser, and the page always talks to the name it was loaded from.
 *   <li><b>XSRF</b> (as Jupyter Server): requests authenticated by the cookie (the credential a browser sends on its
 *       own) that change state, and WebSocket upgrades, must carry the XSRF token twice: in the {@code _xsrf-PORT}
 *       cookie ({@link #xsrfCookie}, set with the page) and in the {@value #XSRF_HEADER} header (or, for the
 *       WebSocket, which cannot set headers in a browser, the {@value #XSRF_PARAM} query parameter); both must equal
 *       the server's XSRF token, compared in constant time. Requests that present the token itself (header or query)
 *       prove they know the secret and need no XSRF token.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class AccessPolicy {
    /** The header carrying the XSRF token on state-changing requests (Jupyter's name). */
    public static final String XSRF_HEADER = "X-XSRFToken";
    /** The query parameter carrying the XSRF token on the WebSocket upgrade (Jupyter's name). */
    public static final String XSRF_PARAM = "_xsrf";

    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
    private static final Set<String> STATE_CHANGING = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final String token;
    private final String csrfToken;
    private final Set<String> extraHosts;
    private final Set<String> allowedOrigins;

    /**
     * Creates a policy.
     *
     * @param token the access token (at least 16 characters)
     * @param csrfToken the CSRF token (at least 16 characters)
     * @param extraHosts host names accepted in {@code Host} besides loopback names (lower case, no port); may be empty
     */
    public AccessPolicy(String token, String csrfToken, List<String> extraHosts) {
        this(token, csrfToken, extraHosts, List.of());
    }

    /**
     * Creates a policy with explicitly allowed origins.
     *
     * @param token the access token (at least 16 characters)
     * @param csrfToken the XSRF token (at least 16 characters)
     * @param extraHosts host names accepted in {@code Host} besides loopback names (lower case, no port); may be empty
     * @param allowedOrigins origins accepted besides the server's own, as {@code scheme://host[:port]}; may be empty
     * @throws IllegalArgumentException for a short token, a bad host name or an origin that is not
     *     {@code http(s)://host[:port]}
     */
    public AccessPolicy(String token, String csrfToken, List<String> extraHosts, List<String> allowedOrigins) {
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
        TreeSet<String> origins = new TreeSet<>();
        for (String o : allowedOrigins) {
            String n = normaliseOrigin(o);
            if (n == null) {
                throw new IllegalArgumentException("allowed origin '" + o
                        + "' is not an origin: expected http://HOST[:PORT] or https://HOST[:PORT]");
            }
            origins.add(n);
        }
        this.allowedOrigins = Set.copyOf(origins);
    }

    /**
     * The name of the cookie that holds the token for the server on a port.
     *
     * @param port the server's port
     * @return {@code winnow-token-PORT}
     */
    public static String tokenCookie(int port) {
        return "winnow-token-" + port;
    }

    /**
     * The name of the cookie that holds the XSRF token for the server on a port.
     *
     * @param port the server's port
     * @return {@code _xsrf-PORT}
     */
    public static String xsrfCookie(int port) {
        return "_xsrf-" + port;
    }

    /**
     * A policy with fresh random tokens (256 bits each, base64url).
     *
     * @param extraHosts host names accepted besides loopback names
     * @return the policy
     */
    public static AccessPolicy random(List<String> extraHosts) {
        return random(extraHosts, List.of());
    }

    /**
     * A policy with fresh random tokens (256 bits each, base64url) and explicitly allowed origins.
     *
     * @param extraHosts host names accepted besides loopback names
     * @param allowedOrigins origins accepted besides the server's own
     * @return the policy
     */
    public static AccessPolicy random(List<String> extraHosts, List<String> allowedOrigins) {
        return new AccessPolicy(randomToken(), randomToken(), extraHosts, allowedOrigins);
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
     * The XSRF token the page sends back in {@link #XSRF_HEADER} (and the {@link #XSRF_PARAM} parameter).
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
     * @param cookieToken the {@link #tokenCookie} cookie of the server's port, or {@code null}
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param xsrf the {@link #XSRF_HEADER} header (on a WebSocket upgrade: the header, else the {@link #XSRF_PARAM}
     *     query parameter), or {@code null}
     * @param xsrfCookie the {@link #xsrfCookie} cookie of the server's port, or {@code null}
     * @param webSocket whether the request asks for a WebSocket upgrade
     * @param serverPort the port the server listens on
     */
    public record Request(
            String method,
            String host,
            String origin,
            String queryToken,
            String cookieToken,
            String authorization,
            String xsrf,
            String xsrfCookie,
            boolean webSocket,
            int serverPort) {}

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
     * Checks a request; the order is Host, token, Origin, XSRF.
     *
     * @param r the request
     * @return how the token was presented
     * @throws Refusal 403 for a foreign Host or Origin, a wrong token or a missing/wrong XSRF token; 401 when no token
     *     was presented
     */
    public Proof check(Request r) {
        String hostName = hostName(r.host());
        if (hostName == null || !(LOOPBACK.contains(hostName) || extraHosts.contains(hostName))) {
            throw new Refusal(
                    403,
                    "Host header '" + r.host() + "' is not a loopback name or a configured host (DNS rebinding check)");
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
            if (!originAllowed(r.origin(), r.host(), r.serverPort())) {
                throw new Refusal(
                        403,
                        "Origin '" + r.origin() + "' is not this server's origin (scheme, host and port must match; "
                                + "--allow-origin adds others)");
            }
        }
        if ((changing || r.webSocket()) && proof == Proof.COOKIE) {
            // double submit: the cookie and the header (or parameter) must both hold the server's XSRF token
            String sent = r.xsrf() == null ? "" : r.xsrf();
            String kept = r.xsrfCookie() == null ? "" : r.xsrfCookie();
            boolean ok = constantTimeEquals(sent, kept) & constantTimeEquals(sent, csrfToken);
            if (!ok) {
                throw new Refusal(
                        403,
                        "missing or wrong XSRF token on a "
                                + (r.webSocket() ? "WebSocket upgrade" : r.method() + " request")
                                + ": it needs the " + xsrfCookie(r.serverPort()) + " cookie and the same value in the "
                                + (r.webSocket() ? XSRF_PARAM + " query parameter" : XSRF_HEADER + " header"));
            }
        }
        return proof;
    }

    /**
     * Whether a value is the server's XSRF token (constant-time compare): for GET routes that a page of another port
     * must not be able to use even with the cookie (the notebook directory's images, loaded by {@code <img>}).
     *
     * @param sent the value the request carried, or {@code null}
     * @return whether it is the token
     */
    public boolean isCsrfToken(String sent) {
        return sent != null && constantTimeEquals(sent, csrfToken);
    }

    private boolean originAllowed(String origin, String hostHeader, int serverPort) {
        String o = normaliseOrigin(origin);
        if (o == null) {
            return false;
        }
        if (allowedOrigins.contains(o)) {
            return true;
        }
        URI u = URI.create(o);
        if (!"http".equals(u.getScheme())) {
            return false;
        }
        int originPort = u.getPort() < 0 ? 80 : u.getPort();
        String self = normaliseOrigin("http://" + (hostHeader == null ? "" : hostHeader.trim()));
        if (self == null) {
            return false;
        }
        URI s = URI.create(self);
        int selfPort = s.getPort() < 0 ? 80 : s.getPort();
        return u.getHost().equals(s.getHost()) && originPort == selfPort && originPort == serverPort;
    }

    /**
     * An origin in canonical form: lower-case {@code scheme://host[:port]}, or {@code null} when the value is not an
     * {@code http} or {@code https} origin (a path, a query, user information, {@code null}).
     */
    static String normaliseOrigin(String origin) {
        if (origin == null || origin.isBlank()) {
            return null;
        }
        URI u;
        try {
            u = new URI(origin.trim());
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https"))
                || u.getHost() == null
                || u.getRawUserInfo() != null
                || !(u.getRawPath() == null
                        || u.getRawPath().isEmpty()
                        || u.getRawPath().equals("/"))
                || u.getRawQuery() != null
                || u.getRawFragment() != null) {
            return null;
        }
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (u.getPort() < 0 ? "" : ":" + u.getPort());
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
