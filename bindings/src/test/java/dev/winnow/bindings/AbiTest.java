package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the hand-kept (generated, committed) Java layouts and constants against gcc: a C probe generated from the
 * manifest is compiled against the downloaded llama.cpp headers and prints sizeof, alignof, offsetof and the gcc type
 * class of every bound struct and field, and the value of every bound enum constant and #define.
 */
class AbiTest {

    private static BindingsManifest manifest;
    /** Probe output: "struct KEY" -> [size, align]; "field KEY NAME" -> [offset, size, align, class]; names -> value. */
    private static final Map<String, long[]> C = new HashMap<>();

    @BeforeAll
    static void runProbe() throws Exception {
        manifest = BindingsManifest.read();
        Path include = LibraryLocation.fromEnvironment(LlamaNative.npmVersion()).includeDirectory();
        assertTrue(
                Files.isRegularFile(include.resolve("llama.h")),
                "llama.h not found in " + include
                        + ": run bindings/native/fetch-llama.sh (the bindings module's Maven build does)");
        Path dir = Files.createDirectories(Path.of("target", "abi-probe"));
        Path source = dir.resolve("probe.c");
        Files.writeString(source, probeSource(), StandardCharsets.UTF_8);
        Path exe = dir.resolve("probe");
        run(List.of(
                "gcc",
                "-std=gnu11",
                "-Werror=implicit-function-declaration",
                "-I",
                include.toString(),
                "-o",
                exe.toString(),
                source.toString()));
        for (String line : run(List.of(exe.toAbsolutePath().toString())).split("\n")) {
            String[] c = line.split("\t");
            switch (c[0]) {
                case "struct" -> C.put("struct " + c[1], new long[] {Long.parseLong(c[2]), Long.parseLong(c[3])});
                case "field" ->
                    C.put("field " + c[1] + " " + c[2], new long[] {
                        Long.parseLong(c[3]), Long.parseLong(c[4]), Long.parseLong(c[5]), Long.parseLong(c[6])
                    });
                case "const" -> C.put("const " + c[1], new long[] {Long.parseLong(c[2])});
                default -> fail("unexpected probe line " + line);
            }
        }
    }

    private static String probeSource() {
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"llama.h\"\n\n"
                // gcc's type class, except that C bool is told apart from the integers (gcc calls both 1)
                + "#define KIND(x) _Generic((x), _Bool: 4, default: __builtin_classify_type(x))\n\n");
        Map<String, String> vars = new HashMap<>();
        for (BindingsManifest.Struct s : manifest.structs().values()) {
            if (s.path() == null) {
                String var = "probe_" + vars.size();
                vars.put(s.cType(), var);
                c.append("static ").append(s.cType()).append(' ').append(var).append(";\n");
            }
        }
        c.append("\nint main(void) {\n");
        for (BindingsManifest.Struct s : manifest.structs().values()) {
            String obj = vars.get(s.owner()) + (s.path() == null ? "" : "." + s.path());
            c.append("    printf(\"struct\\t%s\\t%zu\\t%zu\\n\", \"")
                    .append(s.key())
                    .append("\", sizeof(")
                    .append(obj)
                    .append("), __alignof__(")
                    .append(obj)
                    .append("));\n");
        }
        for (BindingsManifest.Field f : manifest.fields()) {
            BindingsManifest.Struct s = manifest.structs().get(f.structKey());
            String owner = s.owner();
            String base = s.path() == null ? "0" : "offsetof(" + owner + ", " + s.path() + ")";
            String member = vars.get(owner) + "." + f.cPath();
            c.append("    printf(\"field\\t%s\\t%s\\t%zu\\t%zu\\t%zu\\t%d\\n\", \"")
                    .append(f.structKey())
                    .append("\", \"")
                    .append(f.name())
                    .append("\", offsetof(")
                    .append(owner)
                    .append(", ")
                    .append(f.cPath())
                    .append(") - ")
                    .append(base)
                    .append(", sizeof(")
                    .append(member)
                    .append("), __alignof__(")
                    .append(member)
                    .append("), KIND(")
                    .append(member)
                    .append("));\n");
        }
        for (BindingsManifest.Constant k : concat(manifest.enums(), manifest.defines())) {
            c.append("    printf(\"const\\t%s\\t%lld\\n\", \"")
                    .append(k.name())
                    .append("\", (long long) (")
                    .append(k.name())
                    .append("));\n");
        }
        for (BindingsManifest.Function f : manifest.functions()) {
            c.append("    (void) &").append(f.name()).append(";\n");
        }
        return c.append("    return 0;\n}\n").toString();
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), command + " failed:\n" + text);
        return text;
    }

    private static Object call(String className, String method) throws ReflectiveOperationException {
        return Class.forName(className).getMethod(method).invoke(null);
    }

    @Test
    void everyStructHasGccsSizeAndAlignment() throws Exception {
        for (BindingsManifest.Struct s : manifest.structs().values()) {
            GroupLayout layout = (GroupLayout) call(s.javaClass(), "$LAYOUT");
            long[] c = C.get("struct " + s.key());
            assertEquals(c[0], layout.byteSize(), "sizeof " + s.cType());
            assertEquals(c[1], layout.byteAlignment(), "alignof " + s.cType());
        }
    }

    @Test
    void everyFieldHasGccsOffsetSizeAlignmentAndKind() throws Exception {
        for (BindingsManifest.Field f : manifest.fields()) {
            String cls = manifest.structs().get(f.structKey()).javaClass();
            String what = f.structKey() + "." + f.name();
            long[] c = C.get("field " + f.structKey() + " " + f.name());
            assertEquals(c[0], (long) call(cls, f.name() + "$offset"), "offsetof " + what);
            MemoryLayout layout = (MemoryLayout) call(cls, f.name() + "$layout");
            assertEquals(c[1], layout.byteSize(), "sizeof " + what);
            assertEquals(c[2], layout.byteAlignment(), "alignof " + what);
            assertTrue(
                    kindMatches(layout, (int) c[3]),
                    what + ": Java layout " + layout + " does not match gcc type class " + c[3]);
        }
    }

    /** The probe's KIND: gcc's __builtin_classify_type (1 integer, 2 char, 3 enum, 5 pointer, 8 real, 12 struct, 13
     * union, 14 array), and 4 for C bool. */
    private static boolean kindMatches(MemoryLayout layout, int typeClass) {
        return switch (layout) {
            case AddressLayout a -> typeClass == 5;
            case ValueLayout.OfBoolean b -> typeClass == 4;
            case ValueLayout.OfFloat f -> typeClass == 8;
            case ValueLayout.OfDouble d -> typeClass == 8;
            case ValueLayout v -> typeClass == 1 || typeClass == 2 || typeClass == 3;
            case GroupLayout g -> typeClass == 12 || typeClass == 13;
            case SequenceLayout s -> typeClass == 5 || typeClass == 14; // arrays decay to pointers in the probe
            default -> false;
        };
    }

    @Test
    void javaLayoutsHaveExactlyTheManifestsFields() throws Exception {
        for (BindingsManifest.Struct s : manifest.structs().values()) {
            GroupLayout layout = (GroupLayout) call(s.javaClass(), "$LAYOUT");
            Set<String> java = new TreeSet<>();
            collectNames(layout, java);
            Set<String> listed = manifest.fields().stream()
                    .filter(f -> f.structKey().equals(s.key()))
                    .map(BindingsManifest.Field::name)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(listed, java, "fields of " + s.javaClass());
        }
    }

    private static void collectNames(GroupLayout g, Set<String> out) {
        for (MemoryLayout m : g.memberLayouts()) {
            if (m instanceof PaddingLayout) {
                continue;
            }
            if (m.name().isEmpty() && m instanceof GroupLayout inner) {
                collectNames(inner, out); // anonymous union, flattened as jextract does
            } else {
                out.add(m.name().orElseThrow());
            }
        }
    }

    @Test
    void everyStructClassOfThePackageIsChecked() throws Exception {
        Path pkg = Path.of(dev.winnow
                        .bindings
                        .llama
                        .llama_h
                        .class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .resolve("dev/winnow/bindings/llama");
        Set<String> checked = manifest.structs().values().stream()
                .map(BindingsManifest.Struct::javaClass)
                .collect(Collectors.toSet());
        List<String> unchecked = new ArrayList<>();
        try (Stream<Path> files = Files.list(pkg)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (!n.endsWith(".class") || n.contains("$")) {
                    continue;
                }
                String cls = "dev.winnow.bindings.llama." + n.substring(0, n.length() - ".class".length());
                boolean isStruct = Stream.of(Class.forName(cls).getMethods())
                        .anyMatch(m -> m.getName().equals("$LAYOUT"));
                if (isStruct && !checked.contains(cls)) {
                    unchecked.add(cls);
                }
            }
        }
        assertEquals(List.of(), unchecked, "struct classes missing from abi-manifest.tsv");
        assertTrue(checked.size() >= 20, "too few structs in the manifest: " + checked.size());
    }

    @Test
    void everyEnumConstantHasGccsValue() throws Exception {
        for (BindingsManifest.Constant k : manifest.enums()) {
            long c = C.get("const " + k.name())[0];
            assertEquals(c, ((Number) call(k.javaClass(), k.name())).longValue(), k.name());
        }
        assertTrue(
                manifest.enums().size() > 300,
                "enum constants: " + manifest.enums().size());
    }

    @Test
    void everyDefineHasGccsValue() throws Exception {
        for (BindingsManifest.Constant k : manifest.defines()) {
            long c = C.get("const " + k.name())[0];
            Object v = call(k.javaClass(), k.name());
            if (v instanceof Integer i) {
                assertTrue(c >= Integer.MIN_VALUE && c <= 0xFFFF_FFFFL, k.name() + " = " + c + " does not fit an int");
                assertEquals((int) c, i.intValue(), k.name());
            } else {
                assertEquals(c, ((Long) v).longValue(), k.name());
            }
        }
        assertEquals(-1, dev.winnow.bindings.llama.llama_h.LLAMA_DEFAULT_SEED(), "0xFFFFFFFF as a 32-bit int");
    }
}
