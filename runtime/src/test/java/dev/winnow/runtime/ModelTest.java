package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelTest {
    @Test
    void progressListenerSeesMonotonicProgressEndingAtOne() {
        List<Double> seen = new ArrayList<>();
        try (Model m = Llama.load()
                .loadModel(
                        TestModels.stories260K(),
                        ModelOptions.defaults().withProgress((done, total, unit) -> seen.add(done / (double) total)))) {
            assertEquals(5, m.layerCount());
        }
        assertTrue(seen.size() >= 2, seen.toString());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) >= seen.get(i - 1), seen.toString());
        }
        assertEquals(1.0, seen.get(seen.size() - 1), 1e-6);
    }

    @Test
    void aThrowingProgressListenerStopsTheLoadWithItsException() {
        LlamaException e = assertThrows(
                LlamaException.class,
                () -> Llama.load()
                        .loadModel(
                                TestModels.stories260K(),
                                ModelOptions.defaults().withProgress((done, total, unit) -> {
                                    throw new IllegalStateException("stop loading");
                                })));
        assertEquals("stop loading", e.getCause().getMessage());
    }

    @Test
    void vocabularyOnlyModelTokenizesButHasNoContext() {
        try (Model full = Llama.load().loadModel(TestModels.stories260K());
                Model vocab = Llama.load()
                        .loadModel(
                                TestModels.stories260K(),
                                ModelOptions.defaults().withVocabOnly(true))) {
            assertArrayEquals(
                    full.vocabulary().tokenize("Once upon a time"),
                    vocab.vocabulary().tokenize("Once upon a time"));
            Throwable e = assertThrows(IllegalStateException.class, vocab::newContext);
            assertTrue(e.getMessage().contains("vocabulary-only"), e.getMessage());
        }
    }

    @Test
    void noMmapLoadsTheSameModel() {
        try (Model m = Llama.load()
                .loadModel(TestModels.stories260K(), ModelOptions.defaults().withMmap(false))) {
            assertEquals(64, m.embeddingSize());
            assertTrue(m.parameterCount() > 200_000 && m.parameterCount() < 300_000, "" + m.parameterCount());
            assertTrue(m.description().startsWith("llama"), m.description());
        }
    }
}
