package dev.winnow.bindings;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Where the llama.cpp shared libraries are looked for, resolved from the settings (a system property wins over the
 * environment variable of the same meaning):
 * <ul>
 *   <li>{@code winnow.llama.lib.dir} / {@code WINNOW_LLAMA_LIB_DIR}: a directory holding {@code libllama},
 *       {@code libggml} and {@code libggml-base} (a prebuilt variant or the {@code bin} directory of a cmake build);
 *       when set it wins and nothing is fetched;</li>
 *   <li>otherwise {@code $WINNOW_HOME/llama.cpp/<npm version>/<variant directory>}, where {@code WINNOW_HOME}
 *       ({@code winnow.home}) defaults to {@code ~/.cache/winnow} and the variant comes from
 *       {@code winnow.llama.variant} / {@code WINNOW_LLAMA_VARIANT} (default {@code cpu}); that default cache is
 *       filled by the bundled fetch script when missing.</li>
 * </ul>
 *
 * @param directory the library directory, absolute and normalised
 * @param variant the variant (for an explicit directory: the variant setting, {@code cpu} by default, which only names it)
 * @param npmVersion the node-llama-cpp release of the cache ({@code 3.22.1})
 * @param winnowHome the cache root ({@code WINNOW_HOME})
 * @param explicit whether the directory was given by {@code WINNOW_LLAMA_LIB_DIR} rather than being the default cache
 * @param origin how the directory was chosen, for messages (for example {@code WINNOW_LLAMA_LIB_DIR=/opt/llama/bin})
 */
public record LibraryLocation(
        Path directory, LlamaVariant variant, String npmVersion, Path winnowHome, boolean explicit, String origin) {

    /** Environment variable naming an explicit library directory. */
    public static final String LIB_DIR_ENV = "WINNOW_LLAMA_LIB_DIR";
    /** System property naming an explicit library directory. */
    public static final String LIB_DIR_PROPERTY = "winnow.llama.lib.dir";
    /** Environment variable choosing the prebuilt variant. */
    public static final String VARIANT_ENV = "WINNOW_LLAMA_VARIANT";
    /** System property choosing the prebuilt variant. */
    public static final String VARIANT_PROPERTY = "winnow.llama.variant";
    /** Environment variable of the per-user cache root. */
    public static final String HOME_ENV = "WINNOW_HOME";
    /** System property of the per-user cache root. */
    public static final String HOME_PROPERTY = "winnow.home";

    /**
     * Resolves the location from explicit settings (pure: reads nothing from the file system).
     *
     * @param env environment variables
     * @param properties system properties ({@code user.home} is used for the default cache)
     * @param npmVersion the node-llama-cpp release, for example {@code 3.22.1}
     * @return the location
     * @throws NativeLibraryException if the variant setting is not a known variant
     */
    public static LibraryLocation resolve(Map<String, String> env, Properties properties, String npmVersion) {
        String variantSetting = setting(env, properties, VARIANT_ENV, VARIANT_PROPERTY);
        LlamaVariant variant = variantSetting == null ? LlamaVariant.CPU : LlamaVariant.fromSetting(variantSetting);
        String home = setting(env, properties, HOME_ENV, HOME_PROPERTY);
        Path winnowHome = (home != null
                        ? Path.of(home)
                        : Path.of(properties.getProperty("user.home", "."), ".cache", "winnow"))
                .toAbsolutePath()
                .normalize();
        String libDirProperty = blankToNull(properties.getProperty(LIB_DIR_PROPERTY));
        String libDirEnv = blankToNull(env.get(LIB_DIR_ENV));
        if (libDirProperty != null || libDirEnv != null) {
            String dir = libDirProperty != null ? libDirProperty : libDirEnv;
            String origin = libDirProperty != null ? "-D" + LIB_DIR_PROPERTY + "=" + dir : LIB_DIR_ENV + "=" + dir;
            return new LibraryLocation(
                    Path.of(dir).toAbsolutePath().normalize(), variant, npmVersion, winnowHome, true, origin);
        }
        Path dir = winnowHome.resolve("llama.cpp").resolve(npmVersion).resolve(variant.directory());
        String origin = "the default cache for variant '" + variant.setting() + "' ("
                + (home != null ? HOME_ENV + "=" + home : HOME_ENV + " unset, so ~/.cache/winnow") + ")";
        return new LibraryLocation(dir, variant, npmVersion, winnowHome, false, origin);
    }

    /**
     * Resolves the location from this JVM's environment and system properties.
     *
     * @param npmVersion the node-llama-cpp release
     * @return the location
     */
    public static LibraryLocation fromEnvironment(String npmVersion) {
        return resolve(System.getenv(), System.getProperties(), npmVersion);
    }

    /**
     * The directory holding the headers of the same release ({@code $WINNOW_HOME/llama.cpp/<version>/include}),
     * which the fetch script unpacks beside the default cache.
     *
     * @return the include directory
     */
    public Path includeDirectory() {
        return winnowHome.resolve("llama.cpp").resolve(npmVersion).resolve("include");
    }

    private static String setting(Map<String, String> env, Properties properties, String envName, String property) {
        String p = blankToNull(properties.getProperty(property));
        return p != null ? p : blankToNull(env.get(envName));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
