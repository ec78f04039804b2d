package dev.winnow.webui.notebook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.ApiReference;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.webui.notebook.kernel.ClientQueue;
import dev.winnow.webui.notebook.kernel.Kernel;
import dev.winnow.webui.notebook.kernel.KernelRegistry;
import dev.winnow.webui.notebook.page.PageAssets;
import dev.winnow.webui.notebook.security.AccessPolicy;
import dev.winnow.webui.notebook.security.Refusal;
import dev.winnow.webui.notebook.store.NotebookStore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.websocket.WsContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.servlet.FilterHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notebook server: the page, the notebook files of one directory, and one kernel per open notebook, over HTTP and
 * a WebSocket (Javalin on Jetty), guarded by {@link AccessPolicy} on every request.
 *
 * <p>HTTP API (JSON; {@code path} is a notebook's path relative to the directory):
 *
 * <ul>
 *   <li>{@code GET /} the page; {@code GET /static/NAME} its scripts and styles;
 *   <li>{@code GET /api/file?path=P&_xsrf=X} an image (PNG, JPEG, GIF, WebP) inside the directory, for markdown;
 *   <li>{@code GET /api/completions} the {@code winnow} object's method names and signatures (editor completion);
 *   <li>{@code GET /api/notebooks} the list; {@code POST /api/notebooks {path, language}} creates one (201);
 *   <li>{@code GET|PUT|DELETE /api/notebook?path=P} read, save (autosave; the body is the nbformat document), delete;
 *   <li>{@code POST /api/notebook/rename?path=P {to}}; {@code GET|POST /api/notebook/checkpoint?path=P} when the
 *       checkpoint was taken / take one; {@code POST /api/notebook/revert?path=P};
 *   <li>{@code POST /api/kernel/interrupt?path=P}, {@code POST /api/kernel/restart?path=P};
 *   <li>WebSocket {@code /api/kernel?path=P}: the client sends {@code {type: "execute", cellId, language, code}},
 *       {@code {type: "interrupt"}} or {@code {type: "restart"}}; the server sends the {@link Kernel} messages.
 * </ul>
 *
 * <p>Refusals: 401 no token, 403 wrong token / foreign Host / foreign Origin / missing or wrong XSRF token, 400 a bad
 * path or document, 404 no such notebook, 409 it exists already, 411 a body without a length, 413 a body over the
 * limit. Error bodies name files relative to the directory, never by absolute path; a 500 says only that the request
 * failed (the details go to the server log).
 */
public final class NotebookServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NotebookServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The request attribute holding how the request proved it holds the token ({@link AccessPolicy.Proof}). */
    private static final String PROOF = "winnow.proof";

    /**
     * How to serve.
     *
     * @param directory the notebook directory (it must exist); scripts' workspace is the host's sandbox, not this
     * @param host the address to bind, {@code 127.0.0.1} by default; anything else is reachable from other machines
     * @param port the port, {@code 0} for a free one
     * @param allowedHosts names accepted in the {@code Host} header besides loopback names
     * @param maxRequestBytes the largest request body (a notebook save, a WebSocket message), bytes
     * @param allowedOrigins origins accepted besides the server's own ({@code http://HOST:PORT}), e.g. a proxy's
     */
    public record Options(
            Path directory,
            String host,
            int port,
            List<String> allowedHosts,
            long maxRequestBytes,
            List<String> allowedOrigins) {
        /** Default body limit: 32 MiB (notebooks with images). */
        public static final long DEFAULT_MAX_REQUEST_BYTES = 32L << 20;

        /**
         * Checks the options.
         *
         * @throws IllegalArgumentException for a port outside 0-65535 or a non-positive limit
         */
        public Options {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0-65535, got " + port);
            }
            if (maxRequestBytes <= 0) {
                throw new IllegalArgumentException("maxRequestBytes must be positive, got " + maxRequestBytes);
            }
            host = host == null ? "127.0.0.1" : host;
            allowedHosts = List.copyOf(allowedHosts == null ? List.of() : allowedHosts);
            allowedOrigins = List.copyOf(allowedOrigins == null ? List.of() : allowedOrigins);
        }

        /**
         * Options with no extra allowed origins.
         *
         * @param directory the notebook directory
         * @param host the address to bind
         * @param port the port, {@code 0} for a free one
         * @param allowedHosts names accepted in the {@code Host} header besides loopback names
         * @param maxRequestBytes the largest request body, bytes
         */
        public Options(Path directory, String host, int port, List<String> allowedHosts, long maxRequestBytes) {
            this(directory, host, port, allowedHosts, maxRequestBytes, List.of());
        }

        /**
         * Loopback, a free port, no extra hosts, the default limit.
         *
         * @param directory the notebook directory
         * @return the options
         */
        public static Options loopback(Path directory) {
            return new Options(directory, "127.0.0.1", 0, List.of(), DEFAULT_MAX_REQUEST_BYTES);
        }
    }

    private final Options options;
    private final AccessPolicy policy;
    private final NotebookStore store;
    private final KernelRegistry kernels;
    private final PageAssets assets;
    /** A connected page: its kernel and its outgoing queue. */
    private record Client(Kernel kernel, ClientQueue queue) {}

    private final Map<WsContext, Client> sockets = new ConcurrentHashMap<>();
    private final Javalin app;

    private NotebookServer(Options options, ScriptHost host, Duration kernelIdleTimeout) {
        this.options = options;
        this.store = new NotebookStore(options.directory());
        this.kernels = new KernelRegistry(host, kernelIdleTimeout);
        List<String> extra = new ArrayList<>(options.allowedHosts());
        if (!isLoopback(options.host()) && !isWildcard(options.host())) {
            extra.add(options.host());
        }
        this.policy = AccessPolicy.random(extra, options.allowedOrigins());
        this.assets = PageAssets.load();
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = options.maxRequestBytes();
            // WebSocket upgrades are checked by a servlet filter: a refusal in a Javalin before-handler would not
            // stop Javalin 6 from upgrading the connection
            config.jetty.modifyServletContextHandler(
                    h -> h.addFilter(new FilterHolder(new UpgradeGuard()), "/*", EnumSet.of(DispatcherType.REQUEST)));
            config.jetty.modifyWebSocketServletFactory(f -> {
                f.setMaxTextMessageSize(options.maxRequestBytes());
                f.setIdleTimeout(Duration.ofHours(12));
            });
        });
        routes();
    }

    /**
     * Starts a server.
     *
     * @param options how to serve
     * @param host the script host kernels run in (closed by the caller, after the server)
     * @return the running server
     * @throws IllegalArgumentException when the directory does not exist
     */
    public static NotebookServer start(Options options, ScriptHost host) {
        return start(options, host, KernelRegistry.DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * Starts a server whose kernels are shut down after {@code kernelIdleTimeout} with no client and no cell.
     *
     * @param options how to serve
     * @param host the script host kernels run in (closed by the caller, after the server)
     * @param kernelIdleTimeout the idle time after which a kernel is culled; zero: never
     * @return the running server
     * @throws IllegalArgumentException when the directory does not exist or the timeout is negative
     */
    public static NotebookServer start(Options options, ScriptHost host, Duration kernelIdleTimeout) {
        NotebookServer s = new NotebookServer(options, host, kernelIdleTimeout);
        s.app.start(options.host(), options.port());
        if (!isLoopback(options.host())) {
            LOG.warn(
                    "the notebook server listens on {}, not on loopback: anyone who can reach it and has the token can run code",
                    options.host());
        }
        return s;
    }

    /**
     * The port the server listens on.
     *
     * @return the port
     */
    public int port() {
        return app.port();
    }

    /**
     * The access policy (its token and CSRF token).
     *
     * @return the policy
     */
    public AccessPolicy policy() {
        return policy;
    }

    /**
     * The URL to open: {@code http://HOST:PORT/?token=T} (loopback hosts shown as {@code 127.0.0.1}).
     *
     * @return the start-up URL
     */
    public String url() {
        String h = isWildcard(options.host()) || isLoopback(options.host()) ? "127.0.0.1" : options.host();
        if (h.contains(":") && !h.startsWith("[")) {
            h = "[" + h + "]";
        }
        return "http://" + h + ":" + port() + "/?token=" + URLEncoder.encode(policy.token(), StandardCharsets.UTF_8);
    }

    /**
     * The notebook files.
     *
     * @return the store
     */
    public NotebookStore store() {
        return store;
    }

    /**
     * The kernels.
     *
     * @return the registry
     */
    public KernelRegistry kernels() {
        return kernels;
    }

    private void routes() {
        app.before(this::guard);
        app.exception(Refusal.class, (e, ctx) -> error(ctx, e.status(), e.getMessage()));
        app.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
        app.exception(
                JsonProcessingException.class,
                (e, ctx) -> error(ctx, 400, "request body is not JSON: " + e.getOriginalMessage()));
        app.exception(
                NoSuchFileException.class, (e, ctx) -> error(ctx, 404, "no such notebook: " + shown(e.getFile())));
        app.exception(
                FileAlreadyExistsException.class, (e, ctx) -> error(ctx, 409, "exists already: " + shown(e.getFile())));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            // the details (absolute paths, the exception) go to the log only
            LOG.error("notebook request {} {} failed", ctx.method(), ctx.path(), e);
            error(
                    ctx,
                    500,
                    "internal error while handling " + ctx.method() + " " + ctx.path()
                            + " (details in the server log)");
        });

        app.get("/", this::page);
        app.get("/static/{name}", this::asset);
        // images under DIR for markdown cells (![](figure.png)); cookie-authenticated requests also need the XSRF token
        // (the _xsrf query parameter), so a page of another local port cannot even probe which images exist
        app.get("/api/file", ctx -> {
            if (ctx.attribute(PROOF) == AccessPolicy.Proof.COOKIE
                    && !policy.isCsrfToken(ctx.queryParam(AccessPolicy.XSRF_PARAM))) {
                throw new Refusal(
                        403,
                        "missing or wrong XSRF token: images need the " + AccessPolicy.XSRF_PARAM + " query parameter");
            }
            NotebookStore.Image img;
            try {
                img = store.readImage(ctx.queryParam("path"));
            } catch (NoSuchFileException e) {
                throw new Refusal(404, "no such image: " + ctx.queryParam("path"));
            }
            ctx.header("Content-Security-Policy", "default-src 'none'; sandbox");
            ctx.header("Content-Disposition", "inline");
            ctx.contentType(img.contentType());
            ctx.result(img.bytes());
        });
        // the names completed after `winnow.` in the editor, read from the scripting host's class (ApiReference)
        app.get("/api/completions", ctx -> {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode names = o.putArray("winnow");
            for (ApiReference.Member m : ApiReference.winnowMembers()) {
                names.addObject().put("name", m.name()).put("detail", m.signature());
            }
            // the objects those methods return (Model, Index, ...) and their members, for `model.` after
            // `model = winnow.loadModel(...)`
            ObjectNode types = o.putObject("types");
            for (Map.Entry<String, List<ApiReference.Member>> t :
                    ApiReference.hostTypes().entrySet()) {
                ArrayNode members = types.putArray(t.getKey());
                for (ApiReference.Member m : t.getValue()) {
                    members.addObject().put("name", m.name()).put("detail", m.signature());
                }
            }
            json(ctx, 200, o);
        });
        app.get("/api/notebooks", ctx -> {
            ArrayNode list = JSON.createArrayNode();
            for (NotebookStore.Entry e : store.list()) {
                ObjectNode o = list.addObject();
                o.put("path", e.path());
                o.put("size", e.size());
                o.put("modified", e.modified().toString());
            }
            json(ctx, 200, list);
        });
        app.post("/api/notebooks", ctx -> {
            JsonNode body = body(ctx);
            String path = body.path("path").asText("");
            Language lang = Language.fromId(body.path("language").asText("js"));
            json(ctx, 201, store.create(path, lang));
        });
        app.get("/api/notebook", ctx -> json(ctx, 200, store.read(path(ctx))));
        app.put("/api/notebook", ctx -> json(ctx, 200, store.save(path(ctx), body(ctx))));
        app.delete("/api/notebook", ctx -> {
            String p = path(ctx);
            store.delete(p);
            kernels.shutdown(p);
            ctx.status(204);
        });
        app.post("/api/notebook/rename", ctx -> {
            String p = path(ctx);
            String to = body(ctx).path("to").asText("");
            store.rename(p, to);
            kernels.rename(p, to);
            json(ctx, 200, JSON.createObjectNode().put("path", to));
        });
        app.get("/api/notebook/checkpoint", ctx -> {
            ObjectNode o = JSON.createObjectNode();
            store.checkpointTime(path(ctx))
                    .ifPresentOrElse(t -> o.put("checkpoint", t.toString()), () -> o.putNull("checkpoint"));
            json(ctx, 200, o);
        });
        app.post(
                "/api/notebook/checkpoint",
                ctx -> json(
                        ctx,
                        200,
                        JSON.createObjectNode()
                                .put("checkpoint", store.checkpoint(path(ctx)).toString())));
        app.post("/api/notebook/revert", ctx -> json(ctx, 200, store.revert(path(ctx))));
        app.post("/api/kernel/interrupt", ctx -> {
            kernels.kernel(existing(ctx)).interrupt();
            ctx.status(204);
        });
        app.post("/api/kernel/restart", ctx -> {
            kernels.kernel(existing(ctx)).restart();
            ctx.status(204);
        });
        app.ws("/api/kernel", ws -> {
            ws.onConnect(this::onConnect);
            ws.onMessage(ctx -> onMessage(ctx, ctx.message()));
            ws.onClose(ctx -> detach(ctx, false));
            ws.onError(ctx -> detach(ctx, false));
        });
    }

    /**
     * A page connects: only to a notebook that exists (else the socket is closed with 4404 and no kernel starts). Its
     * messages go through its own bounded {@link ClientQueue}: a page that reads too slowly, or vanishes mid-output, is
     * dropped without the kernel ever waiting for it.
     */
    private void onConnect(WsContext ctx) {
        String p = ctx.queryParam("path");
        try {
            if (!Files.isRegularFile(store.resolve(p))) {
                ctx.closeSession(4404, "no such notebook");
                return;
            }
        } catch (IllegalArgumentException e) {
            ctx.closeSession(4400, "bad notebook path");
            return;
        }
        var session = ctx.session;
        ClientQueue q = new ClientQueue(
                p + " from " + session.getRemoteAddress(),
                new ClientQueue.Transport() {
                    @Override
                    public void send(String text) throws IOException {
                        session.getRemote().sendString(text);
                    }

                    @Override
                    public void disconnect() {
                        session.disconnect();
                    }
                },
                () -> detach(ctx, true));
        Kernel k;
        try {
            k = kernels.attach(p, q);
        } catch (IllegalStateException e) {
            q.close();
            ctx.closeSession(1011, "kernel unavailable");
            return;
        }
        sockets.put(ctx, new Client(k, q));
        if (q.dropped() || !session.isOpen()) {
            detach(ctx, q.dropped());
        }
    }

    private void detach(WsContext ctx, boolean dropped) {
        Client c = sockets.remove(ctx);
        if (c != null) {
            c.kernel().detach(c.queue());
            if (!dropped) {
                c.queue().close();
            }
        }
    }

    private void onMessage(WsContext ctx, String text) {
        Client c = sockets.get(ctx);
        if (c == null) {
            return;
        }
        Kernel k = c.kernel();
        JsonNode m;
        try {
            m = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            c.queue().message(JSON.createObjectNode().put("type", "refused").put("message", "message is not JSON"));
            return;
        }
        try {
            switch (m.path("type").asText("")) {
                case "execute" ->
                    k.execute(
                            m.path("cellId").asText(""),
                            Language.fromId(m.path("language").asText("js")),
                            m.path("code").asText(""));
                case "interrupt" -> k.interrupt();
                case "restart" -> k.restart();
                default ->
                    throw new IllegalArgumentException(
                            "unknown message type '" + m.path("type").asText("") + "'");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            c.queue().message(JSON.createObjectNode().put("type", "refused").put("message", e.getMessage()));
        }
    }

    private void guard(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", "no-store");
        String method = ctx.method().name();
        boolean ws = "websocket".equalsIgnoreCase(ctx.header("Upgrade"));
        String xsrf = ctx.header(AccessPolicy.XSRF_HEADER);
        // a GET upgrade request was checked by UpgradeGuard already (with the same fields: a GET's parameters are its
        // query's); other requests are checked here
        AccessPolicy.Proof checked = ctx.attribute(PROOF);
        AccessPolicy.Proof proof = checked != null
                ? checked
                : policy.check(new AccessPolicy.Request(
                        method,
                        ctx.header("Host"),
                        ctx.header("Origin"),
                        ctx.queryParam("token"),
                        ctx.cookie(AccessPolicy.tokenCookie(port())),
                        ctx.header("Authorization"),
                        ws && xsrf == null ? ctx.queryParam(AccessPolicy.XSRF_PARAM) : xsrf,
                        ctx.cookie(AccessPolicy.xsrfCookie(port())),
                        ws,
                        port()));
        ctx.attribute(PROOF, proof);
        if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH") || method.equals("DELETE")) {
            String len = ctx.header("Content-Length");
            if (len == null) {
                if (ctx.header("Transfer-Encoding") != null) {
                    throw new Refusal(411, "a request body needs a Content-Length (chunked bodies are refused)");
                }
            } else {
                long n;
                try {
                    n = Long.parseLong(len.trim());
                } catch (NumberFormatException e) {
                    throw new Refusal(400, "Content-Length '" + len + "' is not a number");
                }
                if (n > options.maxRequestBytes()) {
                    throw new Refusal(
                            413, "request body of " + n + " bytes is over the limit of " + options.maxRequestBytes());
                }
            }
        }
        if (proof == AccessPolicy.Proof.QUERY) {
            ctx.res()
                    .addHeader(
                            "Set-Cookie",
                            AccessPolicy.tokenCookie(port()) + "=" + policy.token()
                                    + "; Path=/; HttpOnly; SameSite=Strict");
            if (!ws && method.equals("GET") && ctx.path().equals("/")) {
                // drop the token from the address bar (and from anything that could leak it later)
                String rest = ctx.queryString() == null ? "" : ctx.queryString().replaceAll("(^|&)token=[^&]*", "");
                rest = rest.replaceAll("^&", "");
                ctx.redirect(rest.isEmpty() ? "/" : "/?" + rest, HttpStatus.SEE_OTHER);
                ctx.skipRemainingHandlers();
            }
        }
    }

    /** Refuses WebSocket upgrades that fail the access policy, before Jetty upgrades them. */
    private final class UpgradeGuard implements Filter {
        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            var req = (HttpServletRequest) request;
            var res = (HttpServletResponse) response;
            if ("websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
                String cookie = null;
                String xsrfCookie = null;
                if (req.getCookies() != null) {
                    for (Cookie c : req.getCookies()) {
                        if (c.getName().equals(AccessPolicy.tokenCookie(port()))) {
                            cookie = c.getValue();
                        } else if (c.getName().equals(AccessPolicy.xsrfCookie(port()))) {
                            xsrfCookie = c.getValue();
                        }
                    }
                }
                String xsrf = req.getHeader(AccessPolicy.XSRF_HEADER);
                try {
                    AccessPolicy.Proof proof = policy.check(new AccessPolicy.Request(
                            req.getMethod(),
                            req.getHeader("Host"),
                            req.getHeader("Origin"),
                            req.getParameter("token"),
                            cookie,
                            req.getHeader("Authorization"),
                            xsrf == null ? req.getParameter(AccessPolicy.XSRF_PARAM) : xsrf,
                            xsrfCookie,
                            true,
                            port()));
                    if ("GET".equals(req.getMethod())) {
                        req.setAttribute(PROOF, proof); // guard() uses it rather than checking the request again
                    }
                } catch (Refusal r) {
                    res.setStatus(r.status());
                    res.setContentType("application/json");
                    res.getWriter()
                            .write(JSON.createObjectNode()
                                    .put("error", r.getMessage())
                                    .toString());
                    return;
                }
            }
            chain.doFilter(request, response);
        }
    }

    private void page(Context ctx) {
        ctx.header("Content-Security-Policy", assets.contentSecurityPolicy());
        // the XSRF token's cookie half (the page reads the other half from its HTML); HttpOnly: no script needs to read
        // it
        ctx.res()
                .addHeader(
                        "Set-Cookie",
                        AccessPolicy.xsrfCookie(port()) + "=" + policy.csrfToken()
                                + "; Path=/; HttpOnly; SameSite=Strict");
        ctx.contentType("text/html; charset=utf-8");
        ctx.result(assets.indexHtml(policy.csrfToken()));
    }

    private void asset(Context ctx) {
        PageAssets.Asset a = assets.asset(ctx.pathParam("name"));
        if (a == null) {
            String name = ctx.pathParam("name");
            // a name that is a path is not echoed (errors never show absolute paths, even ones the client sent)
            throw new Refusal(
                    404,
                    name.matches("[A-Za-z0-9_.-]{1,100}") && !name.startsWith(".")
                            ? "no page asset named '" + name + "'"
                            : "no page asset of that name (asset names are plain file names)");
        }
        ctx.contentType(a.contentType());
        ctx.result(a.bytes());
    }

    private String path(Context ctx) {
        String p = ctx.queryParam("path");
        store.resolve(p);
        return p;
    }

    private String existing(Context ctx) throws NoSuchFileException {
        String p = path(ctx);
        if (!Files.isRegularFile(store.resolve(p))) {
            throw new NoSuchFileException(p);
        }
        return p;
    }

    private static JsonNode body(Context ctx) throws JsonProcessingException {
        byte[] b = ctx.bodyAsBytes();
        return JSON.readTree(b.length == 0 ? "{}" : new String(b, StandardCharsets.UTF_8));
    }

    private static void json(Context ctx, int status, JsonNode body) {
        ctx.status(status);
        ctx.contentType("application/json");
        ctx.result(body.toString());
    }

    private void error(Context ctx, int status, String message) {
        json(ctx, status, JSON.createObjectNode().put("error", message == null ? "" : redact(message)));
    }

    /** A file named in an error: relative to the notebook directory, never an absolute path. */
    private String shown(String file) {
        if (file == null) {
            return "(unnamed)";
        }
        Path p;
        try {
            p = Path.of(file);
        } catch (InvalidPathException e) {
            return "(unprintable name)";
        }
        if (!p.isAbsolute()) {
            return file;
        }
        Path abs = p.normalize();
        for (Path root :
                List.of(store.root(), options.directory().toAbsolutePath().normalize())) {
            if (abs.startsWith(root)) {
                String rel = root.relativize(abs).toString();
                return rel.isEmpty() ? "." : rel;
            }
        }
        return "a file outside the notebook directory";
    }

    /** An error message with the notebook directory's absolute path removed (names become relative to it). */
    private String redact(String message) {
        String m = message;
        for (Path root :
                List.of(store.root(), options.directory().toAbsolutePath().normalize())) {
            String r = root.toString();
            if (r.length() > 1) {
                m = m.replace(r + File.separator, "").replace(r, ".");
            }
        }
        return m;
    }

    private static boolean isLoopback(String host) {
        try {
            return host.equals("localhost") || InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    /** Stops the server and shuts the kernels down. */
    @Override
    public void close() {
        app.stop();
        kernels.close();
    }
}
