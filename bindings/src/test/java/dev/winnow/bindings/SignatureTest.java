package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks every binding's {@link FunctionDescriptor} against the C prototype: a C++ probe, compiled with g++ against the
 * downloaded headers, takes each bound function, callback typedef and function-pointer field apart with templates and
 * prints the kind and size of its return type and of each parameter (void, bool, integer or enum, floating, pointer,
 * struct by value). The Java descriptors must say the same, parameter by parameter.
 */
class SignatureTest {

    private static BindingsManifest manifest;
    private static final Map<String, String> C = new LinkedHashMap<>();

    @BeforeAll
    static void runProbe() throws Exception {
        manifest = BindingsManifest.read();
        Path include = LibraryLocation.fromEnvironment(LlamaNative.npmVersion()).includeDirectory();
        Path dir = Files.createDirectories(Path.of("target", "abi-probe"));
        Path source = dir.resolve("signatures.cpp");
        StringBuilder c = new StringBuilder("""
                #include <cstdio>
                #include <type_traits>
                #include "llama.h"

                template <typename T> void kind() {
                    using U = std::remove_cv_t<T>;
                    if constexpr (std::is_void_v<U>) std::printf(" v0");
                    else if constexpr (std::is_same_v<U, bool>) std::printf(" z%zu", sizeof(U));
                    else if constexpr (std::is_floating_point_v<U>) std::printf(" f%zu", sizeof(U));
                    else if constexpr (std::is_pointer_v<U>) std::printf(" p%zu", sizeof(U));
                    else if constexpr (std::is_integral_v<U> || std::is_enum_v<U>) std::printf(" i%zu", sizeof(U));
                    else if constexpr (std::is_class_v<U> || std::is_union_v<U>) std::printf(" s%zu", sizeof(U));
                    else std::printf(" ?%zu", sizeof(U));
                }

                template <typename R, typename... A> void sig(const char * name, R (*)(A...)) {
                    std::printf("%s", name);
                    kind<R>();
                    (kind<A>(), ...);
                    std::printf("\\n");
                }

                int main() {
                """);
        for (BindingsManifest.Function f : manifest.functions()) {
            // decltype only: the probe needs the types, not the library
            c.append("    sig(\"")
                    .append(f.name())
                    .append("\", static_cast<decltype(&")
                    .append(f.name())
                    .append(")>(nullptr));\n");
        }
        for (BindingsManifest.Callback cb : manifest.callbacks()) {
            String type =
                    cb.structKey().isEmpty() ? cb.name() : "decltype(::" + cb.structKey() + "::" + cb.name() + ")";
            c.append("    sig(\"")
                    .append(key(cb))
                    .append("\", static_cast<")
                    .append(type)
                    .append(">(nullptr));\n");
        }
        c.append("    return 0;\n}\n");
        Files.writeString(source, c.toString(), StandardCharsets.UTF_8);
        Path exe = dir.resolve("signatures");
        run(List.of("g++", "-std=c++17", "-I", include.toString(), "-o", exe.toString(), source.toString()));
        for (String line : run(List.of(exe.toAbsolutePath().toString())).split("\n")) {
            int sp = line.indexOf(' ');
            C.put(line.substring(0, sp), line.substring(sp + 1));
        }
    }

    private static String key(BindingsManifest.Callback cb) {
        return cb.structKey().isEmpty() ? cb.name() : cb.structKey() + "." + cb.name();
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(command.get(0) + " is needed by this test (Debian: apt-get install g++)", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "timed out: " + command);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), command + " failed:\n" + text);
        return text;
    }

    /** The probe's notation for a descriptor: return kind+size, then each argument's. */
    static String notation(FunctionDescriptor d) {
        List<String> parts = new ArrayList<>();
        parts.add(d.returnLayout().map(SignatureTest::kind).orElse("v0"));
        for (MemoryLayout l : d.argumentLayouts()) {
            parts.add(kind(l));
        }
        return String.join(" ", parts);
    }

    private static String kind(MemoryLayout l) {
        String k = switch (l) {
            case AddressLayout a -> "p";
            case ValueLayout.OfBoolean b -> "z";
            case ValueLayout.OfFloat f -> "f";
            case ValueLayout.OfDouble f -> "f";
            case ValueLayout v -> "i";
            case GroupLayout g -> "s";
            default -> "?";
        };
        return k + l.byteSize();
    }

    @Test
    void everyBoundFunctionHasTheCPrototypesShape() throws Exception {
        int checked = 0;
        for (BindingsManifest.Function f : manifest.functions()) {
            FunctionDescriptor d = (FunctionDescriptor) Class.forName(f.javaClass())
                    .getMethod(f.name() + "$descriptor")
                    .invoke(null);
            assertEquals(C.get(f.name()), notation(d), f.name() + " (return, then parameters)");
            checked++;
        }
        assertEquals(manifest.functions().size(), checked);
        assertTrue(checked > 300, "checked " + checked);
    }

    @Test
    void everyFunctionPointerTypeHasTheCShape() throws Exception {
        for (BindingsManifest.Callback cb : manifest.callbacks()) {
            FunctionDescriptor d = (FunctionDescriptor)
                    Class.forName(cb.javaClass()).getMethod("descriptor").invoke(null);
            assertEquals(C.get(key(cb)), notation(d), key(cb));
        }
        assertTrue(
                manifest.callbacks().size() >= 20,
                "function pointer types: " + manifest.callbacks().size());
    }
}
