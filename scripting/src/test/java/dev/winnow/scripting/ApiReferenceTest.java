package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The names editor completion offers after {@code winnow.} are exactly what a real JavaScript cell can call. */
class ApiReferenceTest {
    @TempDir
    Path workspace;

    @Test
    void membersAreTheExportedMethodsWithMergedOverloads() {
        Map<String, String> m = ApiReference.winnowMembers().stream()
                .collect(Collectors.toMap(ApiReference.Member::name, ApiReference.Member::signature));
        assertEquals("(string, any?) → Model", m.get("loadModel"));
        assertEquals("(Collection, string, any?) → Index", m.get("buildIndex"));
        assertEquals("(any, Qrels, any?, any?) → MetricsTable", m.get("evaluate"));
        assertEquals("(any, string)", m.get("display"));
        assertFalse(m.containsKey("close"), "close() is the session's, not exported to scripts: " + m.keySet());
        List<String> names = ApiReference.winnowMembers().stream()
                .map(ApiReference.Member::name)
                .toList();
        assertEquals(names.stream().sorted().toList(), names, "sorted by name");
    }

    @Test
    void hostTypesReachableFromWinnowHaveTheirMembers() {
        Map<String, List<ApiReference.Member>> types = ApiReference.hostTypes();
        assertTrue(
                types.keySet().containsAll(List.of("Model", "Index", "Collection", "Ranker", "MetricsTable")),
                types.keySet().toString());
        Map<String, String> model = types.get("Model").stream()
                .collect(Collectors.toMap(ApiReference.Member::name, ApiReference.Member::signature));
        assertEquals("(string) → array", model.get("tokenize"));
        assertEquals("(string, any?) → string", model.get("generate"));
        assertFalse(types.containsKey("WinnowApi"), "the winnow object itself is listed by winnowMembers");
    }

    @Test
    void everyNameIsCallableFromACellAndNoOtherIs() throws ScriptFailure {
        List<String> names = ApiReference.winnowMembers().stream()
                .map(ApiReference.Member::name)
                .toList();
        try (ScriptHost host = ScriptHost.create(Sandbox.of(workspace));
                ScriptSession session = host.openSession()) {
            String probe =
                    "JSON.stringify(" + names.stream().map(n -> "'" + n + "'").toList()
                            + ".filter(n => typeof winnow[n] !== 'function'))";
            String missing = session.run(Language.JS, probe, "probe.js", new RecordingSink())
                    .value()
                    .map(DisplayData::plainText)
                    .orElse("?");
            assertEquals("[]", missing, "names completion offers that a cell cannot call");
            String close = session.run(Language.JS, "typeof winnow.close", "probe.js", new RecordingSink())
                    .value()
                    .map(DisplayData::plainText)
                    .orElse("?");
            assertTrue(close.equals("undefined"), "close is not offered and not callable: " + close);
        }
    }
}
