package dev.winnow.ranking.eval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * How a run was made, written beside it as JSON so that a figure can be reproduced from its run file.
 *
 * @param winnowVersion the Winnow version that produced the run
 * @param date when the run was made (ISO-8601 instant, UTC)
 * @param collection the collection directory (absolute), or null
 * @param split the query split, or null
 * @param index the index directory (absolute), or null
 * @param indexSettings the index's settings (analyzer, k1, b, dense model, ...), possibly empty
 * @param model the embedding or ranking model file, or null
 * @param modelSha256 the model file's SHA-256 (hex), or null
 * @param parameters every other parameter of the method (mode, k, depth, fusion, ...)
 * @param seed the random seed, or null when nothing is random
 */
public record Provenance(
        String winnowVersion,
        String date,
        String collection,
        String split,
        String index,
        Map<String, Object> indexSettings,
        String model,
        String modelSha256,
        Map<String, Object> parameters,
        Long seed) {

    /**
     * Copies the maps.
     */
    public Provenance {
        indexSettings = indexSettings == null ? Map.of() : new LinkedHashMap<>(indexSettings);
        parameters = parameters == null ? Map.of() : new LinkedHashMap<>(parameters);
    }

    /**
     * Builds a provenance record dated now with this build's version; hashes the model file when one is given.
     *
     * @param collection the collection directory or null
     * @param split the split or null
     * @param index the index directory or null
     * @param indexSettings the index's settings
     * @param model the model file or null
     * @param parameters the method's parameters
     * @param seed the seed or null
     * @return the record
     * @throws IOException when the model file cannot be read
     */
    public static Provenance of(
            Path collection,
            String split,
            Path index,
            Map<String, Object> indexSettings,
            Path model,
            Map<String, Object> parameters,
            Long seed)
            throws IOException {
        return new Provenance(
                currentVersion(),
                Instant.now().toString(),
                collection == null
                        ? null
                        : collection.toAbsolutePath().normalize().toString(),
                split,
                index == null ? null : index.toAbsolutePath().normalize().toString(),
                indexSettings,
                model == null ? null : model.toAbsolutePath().normalize().toString(),
                model == null ? null : sha256(model),
                parameters,
                seed);
    }

    /**
     * Returns the SHA-256 of a file, streamed.
     *
     * @param file the file
     * @return lower-case hex digest
     * @throws IOException when the file cannot be read
     */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Returns the version of the ranking module's build ({@code project.version}), or {@code dev} when unknown.
     *
     * @return the version
     */
    public static String currentVersion() {
        try (InputStream in = Provenance.class.getResourceAsStream("/dev/winnow/ranking/winnow-ranking.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }
}
