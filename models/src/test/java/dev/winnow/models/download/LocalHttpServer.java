package dev.winnow.models.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server on 127.0.0.1 (JDK's com.sun.net.httpserver) serving files from memory, with the faults a download
 * must survive: an error status for a path, and a transfer cut off after some bytes (once). It honours
 * {@code Range: bytes=N-} with 206 and {@code Content-Range}, and records every request's path and Range header.
 */
public final class LocalHttpServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
    private final Map<String, Integer> cutAfter = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    /** Starts on a free port of 127.0.0.1. */
    public LocalHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** @return the base URI, e.g. http://127.0.0.1:PORT/ */
    public URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** Serves {@code bytes} at {@code path} (which starts with /). */
    public void put(String path, byte[] bytes) {
        files.put(path, bytes);
    }

    /** Answers every request for {@code path} with {@code status} and an empty body. */
    public void fail(String path, int status) {
        statuses.put(path, status);
    }

    /** The next full (non-range) response for {@code path} announces the whole length but stops after {@code n} bytes. */
    public void cutOnce(String path, int n) {
        cutAfter.put(path, n);
    }

    /** @return every request so far as "PATH RANGE" (RANGE is "-" when absent) */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        requests.add(path + " " + (range == null ? "-" : range));
        Integer status = statuses.get(path);
        byte[] body = files.get(path);
        if (status != null || body == null) {
            ex.sendResponseHeaders(status != null ? status : 404, -1);
            ex.close();
            return;
        }
        int from = 0;
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (m.matches()) {
                from = Integer.parseInt(m.group(1));
                if (from >= body.length) {
                    ex.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
                    ex.sendResponseHeaders(416, -1);
                    ex.close();
                    return;
                }
                ex.getResponseHeaders()
                        .add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            }
        } else {
            ex.sendResponseHeaders(200, body.length);
        }
        Integer cut = range == null ? cutAfter.remove(path) : null;
        OutputStream out = ex.getResponseBody();
        if (cut != null) {
            out.write(body, 0, cut);
            out.flush();
            // an exception from a handler makes the server close the connection mid-body: the client gets fewer bytes
            // than Content-Length announced
            throw new IllegalStateException("transfer cut off on purpose after " + cut + " bytes");
        }
        out.write(body, from, body.length - from);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
