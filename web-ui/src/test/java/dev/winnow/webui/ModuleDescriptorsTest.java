package dev.winnow.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.bindings.LlamaNative;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.runtime.Llama;
import dev.winnow.scripting.ScriptSession;
import dev.winnow.webui.cli.WinnowCli;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The compiled module descriptors of all six modules (read with {@link ModuleFinder} from each module's
 * {@code target/classes} or jar, wherever the class path has it): exactly these packages are exported, to everyone or
 * to the named modules, so that an accidental export (or a lost one) fails here. A deliberate change edits the
 * module's {@code module-info.java}, this test and docs/design.md ("Modules and API") together.
 */
class ModuleDescriptorsTest {

    private static ModuleDescriptor descriptor(Class<?> anyClassOfTheModule) throws URISyntaxException {
        Path location = Path.of(anyClassOfTheModule
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Set<ModuleReference> found = ModuleFinder.of(location).findAll();
        assertEquals(1, found.size(), location + " should hold exactly one module descriptor");
        return found.iterator().next().descriptor();
    }

    /** Unqualified exports, sorted. */
    private static Set<String> exported(ModuleDescriptor d) {
        return d.exports().stream()
                .filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Qualified exports: package to its target modules, sorted. */
    private static Map<String, Set<String>> exportedTo(ModuleDescriptor d) {
        Map<String, Set<String>> m = new TreeMap<>();
        d.exports().stream()
                .filter(ModuleDescriptor.Exports::isQualified)
                .forEach(e -> m.put(e.source(), new TreeSet<>(e.targets())));
        return m;
    }

    private static Map<String, Set<String>> opened(ModuleDescriptor d) {
        Map<String, Set<String>> m = new TreeMap<>();
        d.opens().forEach(o -> m.put(o.source(), new TreeSet<>(o.targets())));
        return m;
    }

    @Test
    void bindingsExportsNothingButToTheRuntime() throws Exception {
        ModuleDescriptor d = descriptor(LlamaNative.class);
        assertEquals("dev.winnow.bindings", d.name());
        assertEquals(Set.of(), exported(d));
        assertEquals(
                Map.of(
                        "dev.winnow.bindings",
                        Set.of("dev.winnow.runtime"),
                        "dev.winnow.bindings.llama",
                        Set.of("dev.winnow.runtime")),
                exportedTo(d));
        assertEquals(Map.of(), opened(d));
    }

    @Test
    void modelsExportsItsApiAndTheCliToolsOnlyToTheirUsers() throws Exception {
        ModuleDescriptor d = descriptor(GgufFile.class);
        assertEquals("dev.winnow.models", d.name());
        assertEquals(
                new TreeSet<>(Set.of(
                        "dev.winnow.models",
                        "dev.winnow.models.catalog",
                        "dev.winnow.models.convert",
                        "dev.winnow.models.download",
                        "dev.winnow.models.gguf",
                        "dev.winnow.models.maven",
                        "dev.winnow.models.synth",
                        "dev.winnow.models.tokenizer")),
                exported(d));
        assertEquals(
                Map.of(
                        "dev.winnow.models.gguf.fuzz",
                        Set.of("dev.winnow.runtime", "dev.winnow.webui"),
                        "dev.winnow.models.gguf.inspect",
                        Set.of("dev.winnow.webui"),
                        "dev.winnow.models.onnx",
                        Set.of("dev.winnow.webui")),
                exportedTo(d));
        assertTrue(
                d.packages().contains("dev.winnow.models.onnx.proto"),
                d.packages().toString());
        assertEquals(Map.of(), opened(d));
    }

    @Test
    void runtimeExportsItsFivePackagesAndNeedsTheVectorApiOnlyOptionally() throws Exception {
        ModuleDescriptor d = descriptor(Llama.class);
        assertEquals("dev.winnow.runtime", d.name());
        assertEquals(
                new TreeSet<>(Set.of(
                        "dev.winnow.runtime",
                        "dev.winnow.runtime.attention",
                        "dev.winnow.runtime.generate",
                        "dev.winnow.runtime.lab",
                        "dev.winnow.runtime.model")),
                exported(d));
        assertEquals(Map.of(), exportedTo(d));
        ModuleDescriptor.Requires vector = d.requires().stream()
                .filter(r -> r.name().equals("jdk.incubator.vector"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("runtime should require jdk.incubator.vector (static)"));
        assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), vector.modifiers());
        assertTrue(
                d.requires().stream()
                        .anyMatch(r -> r.name().equals("dev.winnow.models")
                                && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)),
                d.requires().toString());
    }

    @Test
    void rankingKeepsTheRankerImplementationsInternal() throws Exception {
        ModuleDescriptor d = descriptor(DocumentIndex.class);
        assertEquals("dev.winnow.ranking", d.name());
        assertEquals(
                new TreeSet<>(Set.of(
                        "dev.winnow.ranking.collection",
                        "dev.winnow.ranking.dense",
                        "dev.winnow.ranking.eval",
                        "dev.winnow.ranking.fusion",
                        "dev.winnow.ranking.incontext",
                        "dev.winnow.ranking.incontext.prompt",
                        "dev.winnow.ranking.index")),
                exported(d));
        assertEquals(Map.of("dev.winnow.ranking.incontext.embedding", Set.of("dev.winnow.webui")), exportedTo(d));
        // the implementation packages exist and stay unexported (CaptureSession, the six rankers, the scores)
        for (String internal :
                new String[] {"blockrank", "capture", "embedding", "encoder", "icr", "pointwise", "score"}) {
            assertTrue(d.packages().contains("dev.winnow.ranking.incontext." + internal), internal);
        }
        assertTrue(
                d.requires().stream().noneMatch(r -> r.name().equals("jdk.incubator.vector")),
                d.requires().toString());
    }

    @Test
    void scriptingExportsTheSessionAndTheHostObjects() throws Exception {
        ModuleDescriptor d = descriptor(ScriptSession.class);
        assertEquals("dev.winnow.scripting", d.name());
        assertEquals(new TreeSet<>(Set.of("dev.winnow.scripting", "dev.winnow.scripting.host")), exported(d));
        assertEquals(Map.of(), exportedTo(d));
        assertTrue(d.packages().containsAll(Set.of("dev.winnow.scripting.engine", "dev.winnow.scripting.sandbox")));
        assertEquals(Map.of(), opened(d));
    }

    @Test
    void webUiExportsNothingAndOpensTheCommandsToPicocli() throws Exception {
        ModuleDescriptor d = descriptor(WinnowCli.class);
        assertEquals("dev.winnow.webui", d.name());
        assertEquals(Set.of(), exported(d));
        assertEquals(Map.of(), exportedTo(d));
        assertEquals(Map.of("dev.winnow.webui.cli", Set.of("info.picocli")), opened(d));
        // the application reaches llama.cpp only through the runtime (issue 17: the demo called the bindings directly)
        assertTrue(
                d.requires().stream().noneMatch(r -> r.name().equals("dev.winnow.bindings")),
                d.requires().toString());
    }
}
