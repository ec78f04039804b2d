package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library directory choice (without needing the GPU binaries), the errors that name paths, and the single load. */
class LoaderTest {

    private static Properties props(String... kv) {
        Properties p = new Properties();
        p.setProperty("user.home", "/home/someone");
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void defaultIsTheCpuVariantInTheUserCache() {
        LibraryLocation loc = LibraryLocation.resolve(Map.of(), props(), "3.22.1");
        assertEquals(Path.of("/home/someone/.cache/winnow/llama.cpp/3.22.1/linux-x64"), loc.directory());
        assertEquals(LlamaVariant.CPU, loc.variant());
        assertFalse(loc.explicit());
        assertEquals(Path.of("/home/someone/.cache/winnow/llama.cpp/3.22.1/include"), loc.includeDirectory());
    }

    @Test
    void variantSettingSelectsTheGpuDirectories() {
        assertEquals(
                Path.of("/home/someone/.cache/winnow/llama.cpp/3.22.1/linux-x64-cuda"),
                LibraryLocation.resolve(Map.of("WINNOW_LLAMA_VARIANT", "cuda"), props(), "3.22.1")
                        .directory());
        assertEquals(
                Path.of("/w/llama.cpp/3.22.1/linux-x64-cuda-ext"),
                LibraryLocation.resolve(
                                Map.of("WINNOW_LLAMA_VARIANT", "CUDA-EXT", "WINNOW_HOME", "/w"), props(), "3.22.1")
                        .directory());
        LibraryLocation vulkan = LibraryLocation.resolve(
                Map.of("WINNOW_LLAMA_VARIANT", "cuda"), props("winnow.llama.variant", "vulkan"), "3.22.1");
        assertEquals(LlamaVariant.VULKAN, vulkan.variant(), "the system property wins over the environment");
        assertEquals(Path.of("/home/someone/.cache/winnow/llama.cpp/3.22.1/linux-x64-vulkan"), vulkan.directory());
    }

    @Test
    void unknownVariantIsRefusedWithTheValidOnes() {
        NativeLibraryException e = assertThrows(
                NativeLibraryException.class,
                () -> LibraryLocation.resolve(Map.of("WINNOW_LLAMA_VARIANT", "rocm"), props(), "3.22.1"));
        assertTrue(
                e.getMessage().contains("'rocm'") && e.getMessage().contains("cpu, cuda, cuda-ext, vulkan"),
                e.getMessage());
    }

    @Test
    void explicitLibraryDirectoryWins() {
        LibraryLocation env = LibraryLocation.resolve(
                Map.of("WINNOW_LLAMA_LIB_DIR", "/opt/llama/build/bin", "WINNOW_LLAMA_VARIANT", "cuda"),
                props(),
                "3.22.1");
        assertEquals(Path.of("/opt/llama/build/bin"), env.directory());
        assertTrue(env.explicit());
        assertEquals("WINNOW_LLAMA_LIB_DIR=/opt/llama/build/bin", env.origin());
        LibraryLocation prop = LibraryLocation.resolve(
                Map.of("WINNOW_LLAMA_LIB_DIR", "/opt/a"), props("winnow.llama.lib.dir", "/opt/b"), "3.22.1");
        assertEquals(Path.of("/opt/b"), prop.directory());
    }

    @Test
    void missingDirectoryErrorNamesThePathAndTheFix(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-such-build");
        LibraryLocation loc =
                LibraryLocation.resolve(Map.of("WINNOW_LLAMA_LIB_DIR", missing.toString()), props(), "3.22.1");
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> LlamaNative.findLibraries(loc));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("WINNOW_LLAMA_LIB_DIR"), e.getMessage());

        LibraryLocation cuda = LibraryLocation.resolve(
                Map.of("WINNOW_LLAMA_VARIANT", "cuda", "WINNOW_HOME", tmp.toString()), props(), "3.22.1");
        NativeLibraryException e2 = assertThrows(NativeLibraryException.class, () -> LlamaNative.findLibraries(cuda));
        assertTrue(
                e2.getMessage()
                        .contains(tmp.resolve("llama.cpp/3.22.1/linux-x64-cuda").toString()),
                e2.getMessage());
        assertTrue(e2.getMessage().contains("@node-llama-cpp/linux-x64-cuda@3.22.1"), e2.getMessage());
    }

    @Test
    void directoryWithoutTheLibrariesNamesWhatIsMissing(@TempDir Path tmp) throws IOException {
        Files.createFile(tmp.resolve("libggml-base.so"));
        Files.createFile(tmp.resolve("libllama-common.so"));
        LibraryLocation loc =
                LibraryLocation.resolve(Map.of("WINNOW_LLAMA_LIB_DIR", tmp.toString()), props(), "3.22.1");
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> LlamaNative.findLibraries(loc));
        assertTrue(e.getMessage().contains("lacks libggml.so, libllama.so"), e.getMessage());
        assertTrue(e.getMessage().contains(tmp.toString()), e.getMessage());
    }

    @Test
    void findsPlainAndVersionedLibraryNamesInLoadOrder(@TempDir Path tmp) throws IOException {
        for (String n : List.of(
                "libllama.v0.5.0.so",
                "libllama-common.so",
                "libggml.v0.5.0.so",
                "libggml-base.so",
                "libggml-cpu-haswell.so")) {
            Files.createFile(tmp.resolve(n));
        }
        LibraryLocation loc =
                LibraryLocation.resolve(Map.of("WINNOW_LLAMA_LIB_DIR", tmp.toString()), props(), "3.22.1");
        assertEquals(
                List.of(
                        tmp.resolve("libggml-base.so"),
                        tmp.resolve("libggml.v0.5.0.so"),
                        tmp.resolve("libllama.v0.5.0.so")),
                LlamaNative.findLibraries(loc));

        Path cmake = Files.createDirectory(tmp.resolve("bin"));
        for (String n :
                List.of("libllama.so", "libllama.so.0", "libggml.so", "libggml-base.so.0.9.4", "libggml-cpu.so")) {
            Files.createFile(cmake.resolve(n));
        }
        LibraryLocation build =
                LibraryLocation.resolve(Map.of("WINNOW_LLAMA_LIB_DIR", cmake.toString()), props(), "3.22.1");
        assertEquals(
                List.of(
                        cmake.resolve("libggml-base.so.0.9.4"),
                        cmake.resolve("libggml.so"),
                        cmake.resolve("libllama.so")),
                LlamaNative.findLibraries(build));
    }

    @Test
    void releaseComesFromTheBuildMetadata(@TempDir Path tmp) throws IOException {
        assertEquals(Optional.empty(), LlamaNative.readRelease(tmp));
        Files.writeString(
                tmp.resolve("_nlcBuildMetadata.json"),
                "{\"buildOptions\":{\"llamaCpp\":{\"repo\":\"ggml-org/llama.cpp\",\"release\":\"b1234\"}}}");
        assertEquals(Optional.of("b1234"), LlamaNative.readRelease(tmp));
    }

    private static String runJava(Map<String, String> env, String mainClass) throws Exception {
        List<String> cmd = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                mainClass);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "timed out");
        return "exit=" + p.exitValue() + "\n" + out;
    }

    @Test
    void firstLoadRacedByEightThreadsInAFreshJvmHappensOnce() throws Exception {
        String out = runJava(Map.of(), ConcurrentLoadMain.class.getName());
        assertTrue(out.startsWith("exit=0"), out);
        assertTrue(out.contains("instances=1\n"), out);
        assertTrue(out.contains("maxDevices=[") && !out.contains("maxDevices=[]"), out);
        assertTrue(out.contains("Backend[name=CPU"), out);
    }

    @Test
    void aFunctionTheLoaderItselfCallsCanBeTheFirstCall() throws Exception {
        String out = runJava(Map.of(), FirstCallMain.class.getName());
        assertTrue(out.startsWith("exit=0"), out);
        assertTrue(out.contains("loaded: llama.cpp"), out);
    }

    @Test
    void loaderDescriptorsAreTheBindings() throws Exception {
        for (Map.Entry<String, java.lang.foreign.FunctionDescriptor> e : LlamaNative.LOADER_FUNCTIONS.entrySet()) {
            Class<?> header = e.getKey().startsWith("llama_")
                    ? dev.winnow.bindings.llama.llama_h.class
                    : dev.winnow.bindings.llama.ggml_h.class;
            assertEquals(header.getMethod(e.getKey() + "$descriptor").invoke(null), e.getValue(), e.getKey());
        }
    }

    @Test
    void aBadLibraryDirectoryFailsTheFirstBindingCallWithTheNamedPathAndTheJvmLives(@TempDir Path tmp)
            throws Exception {
        Path missing = tmp.resolve("nowhere");
        String out = runJava(Map.of("WINNOW_LLAMA_LIB_DIR", missing.toString()), BadDirectoryMain.class.getName());
        assertTrue(out.startsWith("exit=0"), out);
        assertTrue(
                out.contains("load: dev.winnow.bindings.NativeLibraryException: llama.cpp library directory " + missing
                        + " does not exist"),
                out);
        String reason = "dev.winnow.bindings.NativeLibraryException: llama.cpp library directory " + missing
                + " does not exist";
        assertEquals(
                2,
                out.lines().filter(l -> l.startsWith("binding: " + reason)).count(),
                "the first and the second binding call both say why:\n" + out);
        assertTrue(out.contains("again: dev.winnow.bindings.NativeLibraryException"), out);
    }

    @Test
    void loadsOnceFromManyThreads() throws Exception {
        int n = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<LlamaNative>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Callable<LlamaNative> task = () -> {
                    start.await();
                    return LlamaNative.load();
                };
                results.add(pool.submit(task));
            }
            start.countDown();
            LlamaNative first = results.get(0).get();
            for (Future<LlamaNative> f : results) {
                assertSame(first, f.get());
            }
            assertSame(first, LlamaNative.load());
            assertEquals("3.22.1", LlamaNative.npmVersion());
            assertTrue(first.describe().contains(first.libraryDir().toString()), first.describe());
        } finally {
            pool.shutdownNow();
        }
    }
}
