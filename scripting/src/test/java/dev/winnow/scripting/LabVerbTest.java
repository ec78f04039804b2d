package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.lab.LabReport;
import dev.winnow.runtime.lab.LabRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code winnow.lab(model, experiment, options)} in both languages returns the Java API's report. */
class LabVerbTest {
    @TempDir
    static Path workspace;

    static String modelPath;
    static ScriptHost host;
    static ScriptSession session;

    @BeforeAll
    static void open() throws Exception {
        Path models = Path.of(System.getProperty("winnow.shared.dir", "../../shared"), "models")
                .toRealPath();
        modelPath = models.resolve("stories260K.gguf").toString();
        host = ScriptHost.create(Sandbox.of(workspace, models));
        session = host.openSession();
        String load = "m = winnow.loadModel('" + modelPath + "', {'threads': 1})";
        session.run(Language.JS, "var " + load, "load.js", new RecordingSink());
        session.run(Language.PYTHON, load, "load.py", new RecordingSink());
    }

    @AfterAll
    static void close() {
        host.close();
    }

    static String value(Language lang, String code) throws ScriptFailure {
        return session.run(lang, code, "cell", new RecordingSink())
                .value()
                .orElseThrow()
                .plainText();
    }

    @Test
    @SuppressWarnings("unchecked")
    void patchingInPythonAndJsEqualsTheJavaReport() throws Exception {
        Map<String, Object> java;
        try (Model m = Llama.load().loadModel(Path.of(modelPath))) {
            java = LabReport.run(
                    m,
                    new LabRequest(
                            "patch",
                            List.of("Lily went to the park. Lily"),
                            "Tim went to the park. Tim",
                            null,
                            null,
                            "attention",
                            null,
                            null,
                            null,
                            0,
                            0,
                            null,
                            0,
                            0,
                            0,
                            0),
                    1);
        }
        List<List<Double>> rec = (List<List<Double>>) java.get("recovery");
        double x = rec.get(2).get(3);
        String py = value(
                Language.PYTHON,
                "r = winnow.lab(m, 'patch', {'prompt': 'Lily went to the park. Lily', 'corrupt': 'Tim went to the park. Tim',"
                        + " 'site': 'attention'})\nrepr(r['recovery'][2][3])");
        assertEquals(x, Double.parseDouble(py.replace("'", "")));
        String js = value(
                Language.JS,
                "const r = winnow.lab(m, 'patch', {prompt: 'Lily went to the park. Lily', corrupt: 'Tim went to the park. Tim',"
                        + " site: 'attention'}); String(r.get('recovery')[2][3]) + ' ' + r.get('target').get('text')");
        assertEquals(x + " " + ((Map<String, Object>) java.get("target")).get("text"), js);
    }

    @Test
    void badExperimentIsAWinnowError() throws Exception {
        String py = value(
                Language.PYTHON,
                "try:\n  winnow.lab(m, 'bogus', {'prompt': 'x'})\n  out = 'no error'\nexcept winnow.WinnowError as e:\n"
                        + "  out = str(e)\nout");
        assertTrue(py.contains("unknown experiment 'bogus'"), py);
    }

    @Test
    void steeringInPythonEqualsTheJavaReport() throws Exception {
        Map<String, Object> java;
        try (Model m = Llama.load().loadModel(Path.of(modelPath))) {
            java = LabReport.run(
                    m,
                    new LabRequest(
                            "steer",
                            List.of("Lily was happy."),
                            null,
                            null,
                            null,
                            null,
                            null,
                            null,
                            null,
                            0,
                            0,
                            new LabRequest.Steering(
                                    List.of("Lily was sad."), new double[] {0, 1, 1, 1, 1}, 4.0, null, "Lily was"),
                            0,
                            0,
                            0,
                            0),
                    1);
        }
        String py = value(
                Language.PYTHON,
                "r = winnow.lab(m, 'steer', {'prompt': 'Lily was happy.', 'negative': ['Lily was sad.'],"
                        + " 'weights': [0, 1, 1, 1, 1], 'scale': 4, 'eval': 'Lily was'})\n"
                        + "repr(r['target_probability_after']) + ' ' + repr(r['target_probability_before'])");
        String[] got = py.replace("'", "").split(" ");
        assertEquals((Double) java.get("target_probability_after"), Double.parseDouble(got[0]));
        assertEquals((Double) java.get("target_probability_before"), Double.parseDouble(got[1]));
        assertTrue((Double) java.get("target_probability_after") != (Double) java.get("target_probability_before"));
    }
}
