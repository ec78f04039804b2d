package dev.winnow.bindings;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.llama_h;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads llama.cpp's shared libraries once per JVM and gives the bindings ({@link llama_h}, {@link ggml_h}) their
 * symbols.
 *
 * <p>{@link #load()} resolves the library directory ({@link LibraryLocation}: {@code WINNOW_LLAMA_LIB_DIR}, else the
 * per-user cache of the chosen {@link LlamaVariant}), fetches the prebuilt libraries from the npm registry with the
 * bundled {@code fetch-llama.sh} when the default cache is missing, loads {@code libggml-base}, {@code libggml} and
 * {@code libllama} by absolute path with {@link System#load}, routes llama.cpp's log to SLF4J (logger
 * {@code dev.winnow.llama}), loads the backend plug-ins of the directory ({@code ggml_backend_load_all_from_path}:
 * without it llama.cpp has no backend and cannot load a model) and calls {@code llama_backend_init()}.
 *
 * <p>Thread-safe: concurrent first calls wait for one load; later calls return the same instance. A failed load is
 * remembered: every later call throws a {@link NativeLibraryException} with the same explanation. The load makes its
 * own downcalls ({@link #LOADER_FUNCTIONS}) instead of going through the bindings: a binding's holder class calls
 * {@code load()} from its static initialiser, so the load must never need another holder class (it could be the one
 * being initialised, on this thread or on a thread waiting for the load).
 */
public final class LlamaNative {

    private static final Logger LOG = LoggerFactory.getLogger(LlamaNative.class);
    private static final Object LOCK = new Object();
    private static volatile LlamaNative instance;
    private static NativeLibraryException failure;

    /** Library base names in load order (each depends on the ones before it). */
    static final List<String> LIBRARIES = List.of("ggml-base", "ggml", "llama");

    private final LibraryLocation location;
    private final List<Path> libraries;
    private final SymbolLookup symbols;
    private final Optional<String> release;
    private volatile List<Backend> backends = List.of();
    private volatile List<Device> devices = List.of();

    /**
     * A ggml backend registry loaded in this process (for example {@code CPU}, {@code CUDA}).
     *
     * @param name the registry's name ({@code ggml_backend_reg_name})
     * @param deviceCount number of devices it offers ({@code ggml_backend_reg_dev_count})
     */
    public record Backend(String name, long deviceCount) {}

    /**
     * A device offered by a loaded backend.
     *
     * @param name device name ({@code ggml_backend_dev_name}), for example {@code CPU}
     * @param description device description, for example the CPU model
     * @param type {@code CPU}, {@code GPU}, {@code IGPU}, {@code ACCEL} or {@code META}
     * @param memoryFree free memory in bytes as the device reports it
     * @param memoryTotal total memory in bytes
     */
    public record Device(String name, String description, String type, long memoryFree, long memoryTotal) {}

    private LlamaNative(
            LibraryLocation location, List<Path> libraries, SymbolLookup symbols, Optional<String> release) {
        this.location = location;
        this.libraries = libraries;
        this.symbols = symbols;
        this.release = release;
    }

    /**
     * Loads the library (first call) or returns the loaded one. Idempotent and thread-safe.
     *
     * @return the loaded library
     * @throws NativeLibraryException if the library cannot be found, fetched or loaded; the message names the paths
     *     tried and the settings that fix it
     */
    public static LlamaNative load() {
        LlamaNative loaded = instance;
        if (loaded != null) {
            return loaded;
        }
        synchronized (LOCK) {
            if (instance != null) {
                return instance;
            }
            if (failure != null) {
                throw new NativeLibraryException(failure.getMessage(), failure);
            }
            try {
                instance = doLoad(LibraryLocation.fromEnvironment(npmVersion()));
                return instance;
            } catch (NativeLibraryException e) {
                failure = e;
                throw e;
            } catch (RuntimeException | Error e) {
                failure = new NativeLibraryException("loading llama.cpp failed: " + e, e);
                throw failure;
            }
        }
    }

    /**
     * The functions the load itself calls, with their descriptors (the same as the bindings', which a test checks).
     */
    static final Map<String, FunctionDescriptor> LOADER_FUNCTIONS = loaderFunctions();

    private static Map<String, FunctionDescriptor> loaderFunctions() {
        var p = llama_h.C_POINTER;
        var l = llama_h.C_LONG;
        Map<String, FunctionDescriptor> m = new LinkedHashMap<>();
        m.put("llama_log_set", FunctionDescriptor.ofVoid(p, p));
        m.put("ggml_backend_load_all_from_path", FunctionDescriptor.ofVoid(p));
        m.put("llama_backend_init", FunctionDescriptor.ofVoid());
        m.put("ggml_backend_reg_count", FunctionDescriptor.of(l));
        m.put("ggml_backend_reg_get", FunctionDescriptor.of(p, l));
        m.put("ggml_backend_reg_name", FunctionDescriptor.of(p, p));
        m.put("ggml_backend_reg_dev_count", FunctionDescriptor.of(l, p));
        m.put("ggml_backend_dev_count", FunctionDescriptor.of(l));
        m.put("ggml_backend_dev_get", FunctionDescriptor.of(p, l));
        m.put("ggml_backend_dev_name", FunctionDescriptor.of(p, p));
        m.put("ggml_backend_dev_description", FunctionDescriptor.of(p, p));
        m.put("ggml_backend_dev_type", FunctionDescriptor.of(llama_h.C_INT, p));
        m.put("ggml_backend_dev_memory", FunctionDescriptor.ofVoid(p, p, p));
        return Map.copyOf(m);
    }

    /** Calls one of {@link #LOADER_FUNCTIONS} (load-time only: the handle is not cached). */
    private Object call(String name, Object... args) {
        MethodHandle h = Linker.nativeLinker().downcallHandle(symbol(name), LOADER_FUNCTIONS.get(name));
        try {
            return h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("a downcall threw a checked exception", t);
        }
    }

    private static LlamaNative doLoad(LibraryLocation location) {
        Path dir = location.directory();
        if (!Files.isDirectory(dir) && !location.explicit() && fetchAllowed()) {
            fetch(location);
        }
        List<Path> libs = findLibraries(location);
        SymbolLookup lookup = null;
        for (Path lib : libs) {
            try {
                System.load(lib.toString());
            } catch (UnsatisfiedLinkError e) {
                throw new NativeLibraryException(
                        "cannot load " + lib + " (chosen by " + location.origin() + "): "
                                + e.getMessage()
                                + ". Check that the file is a llama.cpp build for this platform (x86-64 "
                                + "Linux) and that its dependencies resolve (ldd " + lib + "); or point "
                                + LibraryLocation.LIB_DIR_ENV + " at another build.",
                        e);
            }
            SymbolLookup one = SymbolLookup.libraryLookup(lib, Arena.global());
            lookup = lookup == null ? one : lookup.or(one);
        }
        LlamaNative lib = new LlamaNative(location, List.copyOf(libs), lookup, readRelease(dir));
        lib.call("llama_log_set", NativeLogBridge.upcallStub(), MemorySegment.NULL);
        try (Arena arena = Arena.ofConfined()) {
            lib.call("ggml_backend_load_all_from_path", arena.allocateFrom(dir.toString()));
        }
        lib.call("llama_backend_init");
        lib.enumerateBackends();
        LOG.debug(
                "llama.cpp {} loaded from {} ({}); backends {}",
                lib.release.orElse("(unknown release)"),
                dir,
                location.origin(),
                lib.backends);
        return lib;
    }

    private void enumerateBackends() {
        List<Backend> regs = new ArrayList<>();
        long n = (long) call("ggml_backend_reg_count");
        for (long i = 0; i < n; i++) {
            MemorySegment reg = (MemorySegment) call("ggml_backend_reg_get", i);
            regs.add(new Backend(((MemorySegment) call("ggml_backend_reg_name", reg)).getString(0), (long)
                    call("ggml_backend_reg_dev_count", reg)));
        }
        List<Device> devs = new ArrayList<>();
        long m = (long) call("ggml_backend_dev_count");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            for (long i = 0; i < m; i++) {
                MemorySegment dev = (MemorySegment) call("ggml_backend_dev_get", i);
                call("ggml_backend_dev_memory", dev, free, total);
                devs.add(new Device(
                        ((MemorySegment) call("ggml_backend_dev_name", dev)).getString(0),
                        ((MemorySegment) call("ggml_backend_dev_description", dev)).getString(0),
                        deviceType((int) call("ggml_backend_dev_type", dev)),
                        free.get(ValueLayout.JAVA_LONG, 0),
                        total.get(ValueLayout.JAVA_LONG, 0)));
            }
        }
        backends = List.copyOf(regs);
        devices = List.copyOf(devs);
    }

    private static String deviceType(int type) {
        if (type == ggml_h.GGML_BACKEND_DEVICE_TYPE_CPU()) {
            return "CPU";
        } else if (type == ggml_h.GGML_BACKEND_DEVICE_TYPE_GPU()) {
            return "GPU";
        } else if (type == ggml_h.GGML_BACKEND_DEVICE_TYPE_IGPU()) {
            return "IGPU";
        } else if (type == ggml_h.GGML_BACKEND_DEVICE_TYPE_ACCEL()) {
            return "ACCEL";
        } else if (type == ggml_h.GGML_BACKEND_DEVICE_TYPE_META()) {
            return "META";
        }
        return "UNKNOWN(" + type + ")";
    }

    /**
     * Finds the three libraries in the location's directory: {@code lib<name>.so}, or a versioned file name such as
     * {@code libllama.v0.5.0.so} or {@code libllama.so.0} (the shortest name wins).
     *
     * @param location where to look
     * @return absolute paths of libggml-base, libggml and libllama, in load order
     * @throws NativeLibraryException if the directory is missing or lacks one of them; the message names the
     *     directory, how it was chosen and how to fix it
     */
    static List<Path> findLibraries(LibraryLocation location) {
        Path dir = location.directory();
        if (!Files.isDirectory(dir)) {
            throw new NativeLibraryException("llama.cpp library directory " + dir + " does not exist (chosen by "
                    + location.origin() + ")." + fixHint(location));
        }
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new NativeLibraryException("cannot list llama.cpp library directory " + dir + ": " + e, e);
        }
        List<Path> found = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String base : LIBRARIES) {
            Pattern p = Pattern.compile("lib" + Pattern.quote(base) + "(\\.v[0-9.]+)?\\.so(\\.[0-9.]+)?");
            Optional<String> match = names.stream()
                    .filter(n -> p.matcher(n).matches())
                    .min((a, b) -> a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b));
            if (match.isPresent()) {
                found.add(dir.resolve(match.get()));
            } else {
                missing.add("lib" + base + ".so");
            }
        }
        if (!missing.isEmpty()) {
            throw new NativeLibraryException("llama.cpp library directory " + dir + " (chosen by " + location.origin()
                    + ") lacks " + String.join(", ", missing) + " (also looked for versioned names such as lib"
                    + "llama.v0.5.0.so); it holds " + (names.isEmpty() ? "no files" : names) + "." + fixHint(location));
        }
        return found;
    }

    private static String fixHint(LibraryLocation location) {
        if (location.explicit()) {
            return " Set " + LibraryLocation.LIB_DIR_ENV + " to a directory holding libllama.so, libggml.so and "
                    + "libggml-base.so (for a cmake build of llama.cpp: its build/bin), or unset it to use the "
                    + "prebuilt libraries cached under " + location.winnowHome().resolve("llama.cpp") + ".";
        }
        return " The prebuilt libraries are fetched into it from the npm registry (@node-llama-cpp/"
                + location.variant().directory() + "@" + location.npmVersion() + ") on first use, by "
                + "bindings/native/fetch-llama.sh (also run by the Maven build of the bindings module); run it "
                + "(WINNOW_LLAMA_VARIANT=" + location.variant().setting() + " bash bindings/native/fetch-llama.sh) "
                + "or set " + LibraryLocation.LIB_DIR_ENV + " to your own llama.cpp build.";
    }

    private static boolean fetchAllowed() {
        String p = System.getProperty("winnow.llama.fetch");
        String e = System.getenv("WINNOW_LLAMA_FETCH");
        String v = p != null ? p : e;
        return v == null || !(v.equals("0") || v.equalsIgnoreCase("false") || v.equalsIgnoreCase("no"));
    }

    /** Runs the bundled fetch script for the default cache; it verifies the npm integrity and renames into place. */
    private static void fetch(LibraryLocation location) {
        LOG.info(
                "llama.cpp libraries not found in {}: fetching @node-llama-cpp/{}@{} from the npm registry",
                location.directory(),
                location.variant().directory(),
                location.npmVersion());
        Path script = null;
        try (InputStream in = LlamaNative.class.getResourceAsStream("fetch-llama.sh")) {
            if (in == null) {
                throw new NativeLibraryException("the fetch script is missing from the winnow-bindings jar; "
                        + "cannot provision " + location.directory() + "." + fixHint(location));
            }
            script = Files.createTempFile(
                    "winnow-fetch-llama",
                    ".sh",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.write(script, in.readAllBytes());
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
            pb.environment().put(LibraryLocation.HOME_ENV, location.winnowHome().toString());
            pb.environment().put(LibraryLocation.VARIANT_ENV, location.variant().setting());
            pb.environment().put("WINNOW_LLAMA_NPM_VERSION", location.npmVersion());
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Path log = Files.createTempFile("winnow-fetch-llama", ".log");
            pb.redirectError(log.toFile());
            Process process = pb.start();
            if (!process.waitFor(30, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new NativeLibraryException("fetching llama.cpp into " + location.directory()
                        + " took more than 30 minutes; gave up." + fixHint(location));
            }
            String err = Files.readString(log, StandardCharsets.UTF_8).strip();
            Files.deleteIfExists(log);
            if (process.exitValue() != 0) {
                throw new NativeLibraryException("fetching llama.cpp into " + location.directory() + " failed (exit "
                        + process.exitValue() + "): " + err + "." + fixHint(location));
            }
        } catch (IOException e) {
            throw new NativeLibraryException(
                    "cannot run the llama.cpp fetch script for " + location.directory() + ": " + e + "."
                            + fixHint(location),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NativeLibraryException("interrupted while fetching llama.cpp into " + location.directory(), e);
        } finally {
            if (script != null) {
                try {
                    Files.deleteIfExists(script);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    /**
     * The llama.cpp API release named in the directory's {@code _nlcBuildMetadata.json} (node-llama-cpp builds).
     *
     * @param dir the library directory
     * @return for example {@code v0.5.0}; empty for a directory without that file (a user's own build)
     */
    static Optional<String> readRelease(Path dir) {
        Path meta = dir.resolve("_nlcBuildMetadata.json");
        if (!Files.isRegularFile(meta)) {
            return Optional.empty();
        }
        try {
            Matcher m = Pattern.compile("\"release\"\\s*:\\s*\"([^\"]*)\"").matcher(Files.readString(meta));
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The node-llama-cpp release whose libraries and headers Winnow binds, from the build (the parent pom's
     * {@code llama.npm.version}).
     *
     * @return for example {@code 3.22.1}
     */
    public static String npmVersion() {
        Properties p = new Properties();
        try (InputStream in = LlamaNative.class.getResourceAsStream("llama-cpp.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new NativeLibraryException("cannot read llama-cpp.properties from the winnow-bindings jar: " + e, e);
        }
        String v = p.getProperty("npm.version");
        if (v == null || v.startsWith("${")) {
            throw new NativeLibraryException("llama-cpp.properties in the winnow-bindings jar names no npm.version; "
                    + "rebuild the bindings module with Maven");
        }
        return v;
    }

    /**
     * The exception a binding throws when its holder class could not be initialised (called by the generated code of
     * {@link llama_h} and {@link ggml_h}): the load's own {@link NativeLibraryException} when the library did not load,
     * the missing-symbol one when the library lacks the function, else one naming the function and the error.
     *
     * @param function the C function whose binding failed
     * @param error the {@link ExceptionInInitializerError} or {@link NoClassDefFoundError} of its holder class
     * @return the exception to throw
     */
    public static NativeLibraryException bindingUnavailable(String function, Throwable error) {
        NativeLibraryException e;
        try {
            load().symbol(function);
            e = new NativeLibraryException("the binding of " + function + " could not be initialised: " + error, error);
        } catch (NativeLibraryException reason) {
            e = new NativeLibraryException(reason.getMessage(), reason);
        }
        return e;
    }

    /**
     * The address of a function or variable of the loaded libraries.
     *
     * @param name the C symbol, for example {@code llama_decode}
     * @return its address
     * @throws NativeLibraryException if no loaded library exports it (the bindings are for another llama.cpp release)
     */
    public MemorySegment symbol(String name) {
        return symbols.find(name)
                .orElseThrow(() -> new NativeLibraryException("symbol " + name + " is not exported "
                        + "by " + libraries
                        + ": the library is not the llama.cpp release the bindings were generated from "
                        + "(node-llama-cpp " + location.npmVersion() + ")"));
    }

    /**
     * Looks a symbol up without failing.
     *
     * @param name the C symbol
     * @return its address, or empty when no loaded library exports it
     */
    public Optional<MemorySegment> find(String name) {
        return symbols.find(name);
    }

    /**
     * Where the libraries came from.
     *
     * @return the resolved location
     */
    public LibraryLocation location() {
        return location;
    }

    /**
     * The directory the libraries were loaded from.
     *
     * @return an absolute path
     */
    public Path libraryDir() {
        return location.directory();
    }

    /**
     * The variant setting in effect (for an explicit {@code WINNOW_LLAMA_LIB_DIR} it only names the build).
     *
     * @return the variant
     */
    public LlamaVariant variant() {
        return location.variant();
    }

    /**
     * The llama.cpp release of the loaded build.
     *
     * @return for example {@code v0.5.0}, from {@code _nlcBuildMetadata.json}; empty for a build without that file
     */
    public Optional<String> llamaCppRelease() {
        return release;
    }

    /**
     * The shared libraries loaded, in load order.
     *
     * @return absolute paths of libggml-base, libggml, libllama
     */
    public List<Path> loadedLibraries() {
        return Collections.unmodifiableList(libraries);
    }

    /**
     * The ggml backend registries loaded (CPU always; GPU ones when the variant has them and a device is present).
     *
     * @return the backends, in registry order
     */
    public List<Backend> backends() {
        return backends;
    }

    /**
     * The devices of all loaded backends.
     *
     * @return the devices, in device order (the order {@code llama_model_params.devices} refers to)
     */
    public List<Device> devices() {
        return devices;
    }

    /**
     * A one-line description for logs and {@code --version} output.
     *
     * @return for example {@code llama.cpp v0.5.0 from /root/.cache/winnow/llama.cpp/3.22.1/linux-x64 (backends: CPU)}
     */
    public String describe() {
        return "llama.cpp " + release.orElse("(own build)") + " from " + location.directory() + " (variant "
                + location.variant().setting() + ", backends: "
                + backends.stream().map(Backend::name).toList() + ")";
    }
}
