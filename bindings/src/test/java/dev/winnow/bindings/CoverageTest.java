package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.llama_h;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every LLAMA_API function of the downloaded llama.h is bound or excluded with a reason, and every bound symbol
 * resolves in the loaded library with a downcall handle of the right arity.
 */
class CoverageTest {

    /** LLAMA_API function names of llama.h with their parameter counts, parsed from the header's text. */
    static Map<String, Integer> llamaApiFunctions() throws IOException {
        Path header = LibraryLocation.fromEnvironment(LlamaNative.npmVersion())
                .includeDirectory()
                .resolve("llama.h");
        String text = Files.readString(header, StandardCharsets.UTF_8)
                .replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\n]*", " ")
                .replaceAll("(?m)^\\s*#.*$", " "); // the LLAMA_API and DEPRECATED macro definitions
        Map<String, Integer> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\\bLLAMA_API\\b").matcher(text);
        while (m.find()) {
            int i = m.end();
            String rest = text.substring(i).stripLeading();
            if (rest.startsWith("DEPRECATED(")) {
                i = text.indexOf("DEPRECATED(", i) + "DEPRECATED(".length();
            }
            int paren = text.indexOf('(', i);
            Matcher name = Pattern.compile("(\\w+)\\s*$").matcher(text.substring(i, paren));
            assertTrue(
                    name.find(),
                    "cannot parse the declaration at " + text.substring(i, Math.min(text.length(), i + 80)));
            int depth = 0;
            int params = 0;
            boolean any = false;
            int j = paren;
            for (; j < text.length(); j++) {
                char c = text.charAt(j);
                if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    if (--depth == 0) {
                        break;
                    }
                } else if (depth == 1 && c == ',') {
                    params++;
                } else if (depth >= 1 && !Character.isWhitespace(c)) {
                    any = true;
                }
            }
            String inside = text.substring(paren + 1, j).strip();
            int count = !any || inside.equals("void") ? 0 : params + 1;
            out.put(name.group(1), count);
        }
        return out;
    }

    static Map<String, String> exclusions() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in = CoverageTest.class.getResourceAsStream("llama-exclusions.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] parts = l.split("\\s+", 2);
                assertEquals(2, parts.length, "exclusion without a reason: " + l);
                out.put(parts[0], parts[1]);
            }
        }
        return out;
    }

    /** Public static methods of a header class that are bound functions (those with a $handle companion). */
    static Map<String, Method> boundFunctions(Class<?> header) {
        Set<String> handles = Stream.of(header.getMethods())
                .map(Method::getName)
                .filter(n -> n.endsWith("$handle"))
                .map(n -> n.substring(0, n.length() - "$handle".length()))
                .collect(Collectors.toSet());
        Map<String, Method> out = new LinkedHashMap<>();
        for (Method m : header.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) && handles.contains(m.getName())) {
                out.put(m.getName(), m);
            }
        }
        return out;
    }

    @Test
    void everyLlamaApiFunctionIsBoundOrExcludedWithAReason() throws IOException {
        Map<String, Integer> api = llamaApiFunctions();
        assertTrue(api.size() > 200, "parsed only " + api.size() + " LLAMA_API functions");
        Map<String, String> excluded = exclusions();
        Map<String, Method> bound = boundFunctions(llama_h.class);
        List<String> missing = new ArrayList<>();
        for (String f : api.keySet()) {
            if (!bound.containsKey(f) && !excluded.containsKey(f)) {
                missing.add(f);
            }
        }
        assertEquals(
                List.of(),
                missing,
                "LLAMA_API functions neither bound in llama_h nor listed in "
                        + "llama-exclusions.txt (regenerate with bindings/generator/gen_bindings.py or exclude with a reason)");
        Set<String> stale = new TreeSet<>(excluded.keySet());
        stale.removeAll(api.keySet());
        assertEquals(Set.of(), stale, "llama-exclusions.txt lists functions llama.h does not declare");
        Set<String> both = new TreeSet<>(excluded.keySet());
        both.retainAll(bound.keySet());
        assertEquals(Set.of(), both, "functions both bound and excluded");
        Set<String> extra = new TreeSet<>(bound.keySet());
        extra.removeAll(api.keySet());
        assertEquals(Set.of(), extra, "llama_h binds functions that are not LLAMA_API in llama.h");
    }

    @Test
    void boundFunctionsTakeAsManyArgumentsAsTheHeaderDeclares() throws IOException {
        Map<String, Integer> api = llamaApiFunctions();
        for (Method m : boundFunctions(llama_h.class).values()) {
            FunctionDescriptor d = descriptor(llama_h.class, m.getName());
            assertEquals((int) api.get(m.getName()), d.argumentLayouts().size(), m.getName() + " descriptor " + d);
            int allocator = d.returnLayout()
                    .map(l -> l instanceof java.lang.foreign.GroupLayout ? 1 : 0)
                    .orElse(0);
            assertEquals(d.argumentLayouts().size() + allocator, m.getParameterCount(), m.getName() + " signature");
        }
    }

    private static FunctionDescriptor descriptor(Class<?> header, String name) {
        try {
            return (FunctionDescriptor) header.getMethod(name + "$descriptor").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(name, e);
        }
    }

    @Test
    void everyBoundSymbolResolvesAndLinks() throws Exception {
        LlamaNative lib = LlamaNative.load();
        List<String> unresolved = new ArrayList<>();
        int linked = 0;
        for (Class<?> header : List.of(llama_h.class, ggml_h.class)) {
            for (String name : boundFunctions(header).keySet()) {
                if (lib.find(name).isEmpty()) {
                    unresolved.add(name);
                    continue;
                }
                MemorySegment address =
                        (MemorySegment) header.getMethod(name + "$address").invoke(null);
                assertEquals(lib.find(name).orElseThrow().address(), address.address(), name);
                MethodHandle handle =
                        (MethodHandle) header.getMethod(name + "$handle").invoke(null);
                FunctionDescriptor d = descriptor(header, name);
                java.lang.invoke.MethodType expected = d.toMethodType();
                if (d.returnLayout().orElse(null) instanceof java.lang.foreign.GroupLayout) {
                    expected = expected.insertParameterTypes(0, java.lang.foreign.SegmentAllocator.class);
                }
                assertEquals(expected, handle.type(), name);
                linked++;
            }
        }
        assertEquals(List.of(), unresolved, "bound symbols the loaded library does not export");
        assertTrue(linked > 300, "linked only " + linked);
        assertFalse(lib.find("winnow_no_such_symbol").isPresent());
    }

    @Test
    void manifestListsExactlyTheBoundFunctions() throws IOException {
        BindingsManifest manifest = BindingsManifest.read();
        Set<String> listed = manifest.functions().stream()
                .map(BindingsManifest.Function::name)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> bound = new TreeSet<>(boundFunctions(llama_h.class).keySet());
        bound.addAll(boundFunctions(ggml_h.class).keySet());
        assertEquals(listed, bound);
    }
}
