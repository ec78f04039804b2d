package dev.winnow.models.download;

import dev.winnow.models.ProgressListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads files over HTTP(S) into place safely: bytes go to {@code TARGET.part}, an interrupted transfer is resumed
 * with an HTTP {@code Range} request on the next call, the finished file is checked against the expected checksums
 * (a mismatch deletes it), and only then is it renamed atomically onto {@code TARGET}. A reader of {@code TARGET} never
 * sees a partial or unverified file.
 *
 * <p>Errors are {@link DownloadException}s naming the URL: the HTTP status of an error answer, "cannot reach" when the
 * host is unknown or refuses connections (offline), a checksum mismatch, or an interrupted transfer (the partial file
 * is kept for resuming).
 */
public final class HttpDownloader {
    private static final Logger LOG = LoggerFactory.getLogger(HttpDownloader.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** How long a transfer may go without receiving a byte before it is abandoned (and can be resumed). */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient client;
    private final ProgressListener progress;
    private final Duration stallTimeout;

    /**
     * A downloader that gives up on a transfer after {@link #DEFAULT_STALL_TIMEOUT} without data.
     *
     * @param progress told the bytes of the file received so far while downloading (unit "bytes"; the total is the
     *     file's size, or {@link ProgressListener#UNKNOWN} when the server does not say); null for none
     */
    public HttpDownloader(ProgressListener progress) {
        this(progress, DEFAULT_STALL_TIMEOUT);
    }

    /**
     * @param progress told the bytes of the file received so far while downloading (unit "bytes"); null for none
     * @param stallTimeout how long to wait for the next bytes (and for the answer's headers) before the transfer is
     *     abandoned as interrupted
     */
    public HttpDownloader(ProgressListener progress, Duration stallTimeout) {
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(20))
                .build();
        this.progress = ProgressListener.orNone(progress);
        this.stallTimeout = stallTimeout;
    }

    /**
     * Fetches a small text resource (a checksum file).
     *
     * @param uri the resource
     * @return its body as UTF-8 text, or empty if the server answers 404
     * @throws DownloadException on any other error status or when the host cannot be reached
     * @throws IOException on other transfer errors
     */
    public Optional<String> fetchTextIfPresent(URI uri) throws IOException {
        HttpResponse<String> r = send(
                HttpRequest.newBuilder(uri).timeout(stallTimeout).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            throw new DownloadException(
                    uri + ": HTTP " + r.statusCode() + statusWord(r.statusCode()), r.statusCode(), null);
        }
        return Optional.of(r.body());
    }

    /**
     * Downloads {@code uri} to {@code target}, resuming from {@code target.part} if an earlier transfer was cut off.
     *
     * @param uri the file to fetch
     * @param target where the verified file is placed; its directory is created if needed
     * @param expected checksums the file must match (may be empty: then only the transfer's length is checked)
     * @param label a short name shown on the progress bar
     * @return {@code target}
     * @throws DownloadException on an HTTP error status, an unreachable host, an interrupted transfer (the partial file
     *     is kept) or a checksum mismatch (the partial file is deleted)
     * @throws IOException if the local file cannot be written
     */
    public Path download(URI uri, Path target, List<Checksum> expected, String label) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path part = partFile(target);
        transfer(uri, part, label, true);
        for (Checksum c : expected) {
            String got = c.compute(part);
            if (!got.equals(c.hex())) {
                Files.deleteIfExists(part);
                throw new DownloadException(
                        uri + ": " + c.algorithm() + " mismatch: expected " + c.hex() + ", got " + got
                                + "; the downloaded file was deleted",
                        0,
                        null);
            }
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /**
     * @param target a download target
     * @return the file that holds the bytes received so far: {@code target} with {@code .part} appended
     */
    public static Path partFile(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    private void transfer(URI uri, Path part, String label, boolean mayRestart) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpRequest.Builder rb =
                HttpRequest.newBuilder(uri).timeout(stallTimeout).GET();
        if (have > 0) {
            rb.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        int status = r.statusCode();
        boolean append;
        if (status == 206 && have > 0) {
            String cr = r.headers().firstValue("Content-Range").orElse("");
            Matcher m = CONTENT_RANGE.matcher(cr);
            if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                r.body().close();
                throw new DownloadException(
                        uri + ": asked for bytes from " + have + ", server sent range '" + cr + "'", status, null);
            }
            append = true;
            LOG.info("resuming {} at byte {}", uri, have);
        } else if (status == 200) {
            append = false;
            have = 0;
        } else if (status == 416 && mayRestart) {
            // the partial file is not a prefix the server can continue (e.g. it is complete or longer): start over
            r.body().close();
            Files.deleteIfExists(part);
            transfer(uri, part, label, false);
            return;
        } else {
            r.body().close();
            throw new DownloadException(uri + ": HTTP " + status + statusWord(status), status, null);
        }
        OptionalLong length = r.headers().firstValueAsLong("Content-Length");
        long total = length.isPresent() ? have + length.getAsLong() : -1;
        long received = have;
        progress.onProgress(received, total, "bytes");
        InputStream body = r.body();
        AtomicLong lastProgress = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "download-stall-watchdog");
            t.setDaemon(true);
            return t;
        });
        long checkMillis = Math.max(50, Math.min(1000, stallTimeout.toMillis() / 4));
        watchdog.scheduleWithFixedDelay(
                () -> {
                    if (System.nanoTime() - lastProgress.get() > stallTimeout.toNanos() && !stalled.getAndSet(true)) {
                        try {
                            body.close(); // makes the blocked read fail
                        } catch (IOException ignored) {
                            // the read reports the failure
                        }
                    }
                },
                checkMillis,
                checkMillis,
                TimeUnit.MILLISECONDS);
        try (InputStream in = body;
                OutputStream out = append
                        ? Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
                        : Files.newOutputStream(
                                part, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                received += n;
                lastProgress.set(System.nanoTime());
                progress.onProgress(received, total, "bytes");
            }
        } catch (IOException e) {
            String why =
                    stalled.get() ? "no data for " + stallTimeout.toSeconds() + " s" : String.valueOf(e.getMessage());
            throw new DownloadException(
                    uri + ": transfer interrupted after " + received + (total >= 0 ? " of " + total : "") + " bytes ("
                            + why + "); the partial file " + part + " is kept and the next attempt resumes from it",
                    0,
                    e);
        } finally {
            watchdog.shutdownNow();
        }
        if (stalled.get() || (total >= 0 && received != total)) {
            throw new DownloadException(
                    uri + ": transfer ended after " + received + " of " + total + " bytes; the partial file " + part
                            + " is kept and the next attempt resumes from it",
                    0,
                    null);
        }
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return client.send(request, handler);
        } catch (ConnectException | UnknownHostException | UnresolvedAddressException | HttpConnectTimeoutException e) {
            throw new DownloadException(
                    request.uri() + ": cannot reach " + request.uri().getHost()
                            + " (offline, or the host is blocked?): " + describe(e),
                    0,
                    e);
        } catch (HttpTimeoutException e) {
            throw new DownloadException(request.uri() + ": no answer within " + stallTimeout.toSeconds() + " s", 0, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException(request.uri() + ": interrupted", 0, e);
        } catch (IOException e) {
            if (e.getCause() instanceof UnresolvedAddressException || e.getCause() instanceof UnknownHostException) {
                throw new DownloadException(
                        request.uri() + ": cannot reach " + request.uri().getHost() + " (offline?): " + describe(e),
                        0,
                        e);
            }
            throw e;
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private static String statusWord(int status) {
        return switch (status) {
            case 401, 403 -> " (access denied)";
            case 404 -> " (not found)";
            case 500 -> " (server error)";
            case 502, 503, 504 -> " (server unavailable)";
            default -> "";
        };
    }
}
