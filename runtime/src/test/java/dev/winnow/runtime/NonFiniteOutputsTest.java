package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.gguf.TensorData;
import dev.winnow.models.synth.Architecture;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import dev.winnow.runtime.generate.Generation;
import dev.winnow.runtime.generate.GenerationOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Non-finite results are an error naming the model and the step, not a silent NaN score (issue 16): synthetic llama
 * models (models' {@link SyntheticModel}) whose weights hold NaN or an infinity load and decode, and every read of
 * what they produce (logits copy, view, argmax, Sampler.sample, generation, per-token and pooled embeddings) throws
 * {@link LlamaException} naming the file, the batch entry, its position and the decode; the same model with finite
 * weights reads fine.
 */
class NonFiniteOutputsTest {
    @TempDir
    static Path dir;

    static SynthSpec spec() {
        return new SynthSpec(Architecture.LLAMA, 2, 64, 4, 2, 128, 0, GgmlType.F32, 7, 256, false);
    }

    /** Writes the synthetic model with one tensor's elements replaced (from {@code first} on, {@code count} of them). */
    static Path poisoned(String name, String tensor, long first, long count, float value) throws IOException {
        Path clean = dir.resolve("clean-" + name + ".gguf");
        SyntheticModel.write(spec(), TestModels.stories260K(), clean);
        Path out = dir.resolve(name + ".gguf");
        try (GgufFile f = GgufFile.open(clean)) {
            GgufWriter w = new GgufWriter().version(f.version());
            f.metadata().forEach(w::put);
            boolean found = false;
            for (GgufTensorInfo t : f.tensors()) {
                if (t.name().equals(tensor)) {
                    float[] v = f.readFloats(t);
                    Arrays.fill(v, (int) first, (int) Math.min(v.length, first + count), value);
                    w.addTensor(t.name(), GgmlType.F32, t.shape(), v);
                    found = true;
                } else {
                    w.addTensor(t.name(), t.type(), t.shape(), TensorData.of(f.tensorData(t)));
                }
            }
            assertTrue(found, "no tensor " + tensor);
            w.write(out);
        }
        return out;
    }

    static ContextOptions options() {
        return ContextOptions.defaults().withContextSize(64).withThreads(1);
    }

    static void assertNamesTheStep(Throwable e, String file, String what, int entry, int position, int decode) {
        String m = e.getMessage();
        assertTrue(m.startsWith("model " + file + " produced a non-finite " + what), m);
        assertTrue(m.contains("batch entry " + entry + " (position " + position + ") in decode #" + decode), m);
    }

    @Test
    void nanWeightsMakeEveryReadOfTheLogitsAnErrorNamingModelAndStep() throws IOException {
        Path file = poisoned("nan-output-norm", "output_norm.weight", 0, Long.MAX_VALUE, Float.NaN);
        try (Model model = Llama.load().loadModel(file);
                Context c = model.newContext(options());
                Batch b = Batch.allocate(64, 1);
                Sampler s = new Sampler(model, SamplerOptions.greedy())) {
            int[] prompt = model.vocabulary().tokenize("Once upon a time");
            b.addSequence(prompt, 0, 0, true);
            c.decode(b); // llama.cpp computes without complaint
            int last = prompt.length - 1;
            String f = file.getFileName().toString();
            assertNamesTheStep(
                    assertThrows(LlamaException.class, () -> c.logitsCopy(-1)),
                    f,
                    "logit (NaN at index 0)",
                    last,
                    last,
                    1);
            assertNamesTheStep(assertThrows(LlamaException.class, () -> c.logits(-1)), f, "logit", last, last, 1);
            assertNamesTheStep(assertThrows(LlamaException.class, () -> c.argmax(-1)), f, "logit", last, last, 1);
            assertNamesTheStep(assertThrows(LlamaException.class, () -> s.sample(c, -1)), f, "logit", last, last, 1);
            // a second decode: the step in the message follows
            b.clear();
            b.add(5, prompt.length, 0, true);
            c.decode(b);
            assertNamesTheStep(assertThrows(LlamaException.class, () -> c.argmax(0)), f, "logit", 0, prompt.length, 2);
            // a generation stops with the error instead of emitting text chosen from NaN
            try (Generation g = Generation.start(c, prompt, GenerationOptions.greedy(5))) {
                LlamaException e = assertThrows(LlamaException.class, g::hasNext);
                assertTrue(e.getMessage().contains("produced a non-finite logit"), e.getMessage());
                assertEquals("", g.text());
            }
        }
    }

    @Test
    void anInfiniteWeightNamesTheTokenWhoseLogitItBreaks() throws IOException {
        // output.weight is [n_embd, n_vocab]: row 300 (token 300) gets +Inf
        Path file = poisoned("inf-output-row", "output.weight", 300L * 64, 64, Float.POSITIVE_INFINITY);
        try (Model model = Llama.load().loadModel(file);
                Context c = model.newContext(options());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(model.vocabulary().tokenize("Once upon a time"), 0, 0, true);
            c.decode(b);
            LlamaException e = assertThrows(LlamaException.class, () -> c.logitsCopy(-1));
            assertTrue(e.getMessage().contains(" at index 300)"), e.getMessage());
            assertTrue(e.getMessage().contains("winnow models inspect --deep"), e.getMessage());
        }
    }

    @Test
    void nanWeightsMakeEmbeddingReadsAnError() throws IOException {
        Path file = poisoned("nan-embd", "output_norm.weight", 0, Long.MAX_VALUE, Float.NaN);
        String f = file.getFileName().toString();
        try (Model model = Llama.load().loadModel(file);
                Batch b = Batch.allocate(64, 1)) {
            int[] prompt = model.vocabulary().tokenize("Once upon a time");
            try (Context c = model.newContext(options().withEmbeddings(true, Pooling.NONE))) {
                for (int i = 0; i < prompt.length; i++) {
                    b.add(prompt[i], i, 0, true);
                }
                c.decode(b);
                assertNamesTheStep(
                        assertThrows(LlamaException.class, () -> c.embeddingCopy(2, false)),
                        f,
                        "embedding value",
                        2,
                        2,
                        1);
                assertNamesTheStep(
                        assertThrows(LlamaException.class, () -> c.embeddings(2)), f, "embedding value", 2, 2, 1);
            }
            try (Context c = model.newContext(options().withEmbeddings(true, Pooling.MEAN))) {
                b.clear();
                b.addSequence(prompt, 0, 0, true);
                c.decode(b);
                LlamaException e = assertThrows(LlamaException.class, () -> c.sequenceEmbeddingCopy(0, true));
                assertTrue(
                        e.getMessage().startsWith("model " + f + " produced a non-finite pooled embedding value (NaN"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("for sequence 0 in decode #1"), e.getMessage());
            }
        }
    }

    @Test
    void theSameModelWithFiniteWeightsReadsFine() throws IOException {
        Path file = poisoned("finite", "output_norm.weight", 0, 0, Float.NaN); // nothing replaced
        try (Model model = Llama.load().loadModel(file);
                Context c = model.newContext(options());
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(model.vocabulary().tokenize("Once upon a time"), 0, 0, true);
            c.decode(b);
            float[] l = c.logitsCopy(-1);
            int best = c.argmax(-1);
            for (float v : l) {
                assertTrue(v <= l[best]);
            }
        }
    }
}
