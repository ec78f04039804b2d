package dev.winnow.models.maven;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.WinnowHome;
import dev.winnow.models.download.Checksum;
import dev.winnow.models.download.DownloadException;
import dev.winnow.models.download.HttpDownloader;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a released jar the way a fresh machine can: first in the local Maven repository, then in Winnow's own cache,
 * else downloads it from a remote Maven repository (Maven Central by default) over HTTPS and verifies it against the
 * published {@code .sha1} (and {@code .sha256} where the repository publishes one) before renaming it into
 * {@code $WINNOW_HOME/maven/}.
 *
 * <p>Local Maven repository: the system property {@code maven.repo.local}, else {@code ~/.m2/repository}. Remote
 * repository base URL: the system property {@code winnow.maven.repo}, else the environment variable
 * {@code WINNOW_MAVEN_REPO}, else {@value #CENTRAL}.
 */
public final class MavenArtifactResolver {
    /** Maven Central's repository URL. */
    public static final String CENTRAL = "https://repo.maven.apache.org/maven2";

    private static final Logger LOG = LoggerFactory.getLogger(MavenArtifactResolver.class);

    private final Path localRepository;
    private final Path cache;
    private final URI remote;
    private final HttpDownloader downloader;

    /**
     * @param localRepository a local Maven repository to look in first (need not exist)
     * @param cache where downloaded jars are kept, in repository layout
     * @param remote base URL of the remote repository (with or without a trailing slash)
     * @param downloader the HTTP client to download with
     */
    public MavenArtifactResolver(Path localRepository, Path cache, URI remote, HttpDownloader downloader) {
        this.localRepository = localRepository;
        this.cache = cache;
        String r = remote.toString();
        this.remote = URI.create(r.endsWith("/") ? r : r + "/");
        this.downloader = downloader;
    }

    /**
     * A resolver configured from the environment (see the class description), with a progress bar on standard error.
     *
     * @return the resolver
     */
    public static MavenArtifactResolver fromEnvironment() {
        return fromEnvironment(ProgressListener.NONE);
    }

    /**
     * {@link #fromEnvironment()} reporting download progress.
     *
     * @param progress told the bytes received of each file downloaded (unit "bytes")
     * @return the resolver
     */
    public static MavenArtifactResolver fromEnvironment(ProgressListener progress) {
        String local = System.getProperty("maven.repo.local");
        Path localRepo = local != null && !local.isBlank()
                ? Path.of(local)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
        String remote = System.getProperty("winnow.maven.repo");
        if (remote == null || remote.isBlank()) {
            remote = System.getenv("WINNOW_MAVEN_REPO");
        }
        if (remote == null || remote.isBlank()) {
            remote = CENTRAL;
        }
        return new MavenArtifactResolver(
                localRepo, WinnowHome.dir().resolve("maven"), URI.create(remote), new HttpDownloader(progress));
    }

    /**
     * Returns a local path to the artifact's jar, downloading and verifying it if no local copy exists.
     *
     * @param artifact the artifact
     * @return the jar file
     * @throws DownloadException if it is not local and cannot be downloaded (status 404: the artifact or version does
     *     not exist in the repository), or its checksum does not match the published one
     * @throws IOException if a local file cannot be read or written
     */
    public Path resolve(MavenArtifact artifact) throws IOException {
        String rel = artifact.jarPath();
        Path inLocal = localRepository.resolve(rel);
        if (Files.isRegularFile(inLocal) && localCopyIntact(inLocal)) {
            LOG.debug("{} found in the local Maven repository: {}", artifact, inLocal);
            return inLocal;
        }
        Path cached = cache.resolve(rel);
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        URI jar = remote.resolve(rel);
        List<Checksum> expected = new ArrayList<>();
        Optional<String> sha1 = downloader.fetchTextIfPresent(URI.create(jar + ".sha1"));
        if (sha1.isEmpty()) {
            // no checksum means no such artifact (Central publishes .sha1 for every file): say so clearly
            throw new DownloadException(
                    jar + ".sha1: HTTP 404 (not found): " + artifact + " is not in " + remote, 404, null);
        }
        Optional<String> sha256 = downloader.fetchTextIfPresent(URI.create(jar + ".sha256"));
        try {
            expected.add(Checksum.sha1(firstToken(sha1.get())));
            if (sha256.isPresent()) {
                expected.add(Checksum.sha256(firstToken(sha256.get())));
            }
        } catch (IllegalArgumentException e) {
            throw new DownloadException(jar + ": the published checksum is malformed: " + e.getMessage(), 0, e);
        }
        LOG.info("downloading {} from {}", artifact, jar);
        return downloader.download(jar, cached, expected, artifact.artifactId());
    }

    /** A jar in the local repository is used if it has no .sha1 beside it or matches it. */
    private static boolean localCopyIntact(Path jar) throws IOException {
        Path sha1 = jar.resolveSibling(jar.getFileName() + ".sha1");
        if (!Files.isRegularFile(sha1)) {
            return true;
        }
        String want = firstToken(Files.readString(sha1));
        try {
            if (Checksum.sha1(want).matches(jar)) {
                return true;
            }
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring unreadable checksum file {}: {}", sha1, e.getMessage());
            return true;
        }
        LOG.warn("{} does not match its .sha1; not using it", jar);
        return false;
    }

    private static String firstToken(String checksumFile) {
        return checksumFile.strip().split("\\s+", 2)[0];
    }
}
