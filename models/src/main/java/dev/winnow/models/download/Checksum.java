package dev.winnow.models.download;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An expected digest of a file.
 *
 * @param algorithm a {@link MessageDigest} algorithm name: {@code SHA-1} or {@code SHA-256}
 * @param hex the expected digest, lowercase hexadecimal (40 digits for SHA-1, 64 for SHA-256)
 */
public record Checksum(String algorithm, String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

    /**
     * @throws IllegalArgumentException if the algorithm is unknown or the digest has the wrong length or characters
     */
    public Checksum {
        hex = hex.trim().toLowerCase(Locale.ROOT);
        int digits = switch (algorithm) {
            case "SHA-1" -> 40;
            case "SHA-256" -> 64;
            default -> throw new IllegalArgumentException("unsupported checksum algorithm " + algorithm);
        };
        if (hex.length() != digits || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException(
                    algorithm + " digest must be " + digits + " hex digits, got '" + hex + "'");
        }
    }

    /**
     * @param hex 64 hexadecimal digits
     * @return an expected SHA-256
     */
    public static Checksum sha256(String hex) {
        return new Checksum("SHA-256", hex);
    }

    /**
     * @param hex 40 hexadecimal digits
     * @return an expected SHA-1
     */
    public static Checksum sha1(String hex) {
        return new Checksum("SHA-1", hex);
    }

    /**
     * @param file the file to hash
     * @return its SHA-256, lowercase hexadecimal
     * @throws IOException if the file cannot be read
     */
    public static String sha256Of(Path file) throws IOException {
        return digest("SHA-256", file);
    }

    /**
     * Computes a file's digest with this checksum's algorithm.
     *
     * @param file the file to hash
     * @return its digest, lowercase hexadecimal
     * @throws IOException if the file cannot be read
     */
    public String compute(Path file) throws IOException {
        return digest(algorithm, file);
    }

    private static String digest(String algorithm, Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * @param file the file to check
     * @return whether the file's digest equals this one
     * @throws IOException if the file cannot be read
     */
    public boolean matches(Path file) throws IOException {
        return compute(file).equals(hex);
    }
}
