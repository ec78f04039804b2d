package dev.winnow.runtime;

import static dev.winnow.runtime.TestVectors.cosine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.Architecture;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Synthetic models (models' {@link SyntheticModel}) through llama.cpp: small {@code llama} and {@code qwen2} (Q/K/V
 * biases, padded vocabulary, tied embeddings) models in F32, F16 and Q8_0 load, decode a prompt and 8 greedy tokens
 * with finite logits; two files written with the same weight seed give the same tokens and logits, another seed other
 * tokens; and since every storage type encodes the same seeded weights, the F16 and Q8_0 models' logits stay close to
 * the F32 model's (cosine), which checks that llama.cpp reads our F16 and Q8_0 encodings as we meant them.
 */
class SyntheticModelsTest {
    static final int GREEDY = 8;

    @TempDir
    static Path dir;

    /** Greedy tokens and the logits of the last prompt token. */
    record Run(int[] tokens, float[] promptLogits) {}

    static SynthSpec spec(Architecture arch, GgmlType type, long seed) {
        boolean qwen = arch == Architecture.QWEN2;
        // qwen2: 600 tokens (the 512 of stories260K padded with <synth_N>) and the output tied to token_embd
        return new SynthSpec(arch, 2, 64, 4, 2, 128, qwen ? 600 : 0, type, seed, 256, qwen);
    }

    static Run run(SynthSpec spec, String name) throws IOException {
        Path file = dir.resolve(name + ".gguf");
        SyntheticModel.write(spec, TestModels.stories260K(), file);
        try (Model model = Llama.load().loadModel(file);
                Context ctx = model.newContext(ContextOptions.defaults().withContextSize(64));
                Batch batch = Batch.allocate(64, 1)) {
            assertEquals(spec.arch().ggufName(), model.architecture());
            assertEquals(spec.layers(), model.layerCount());
            int nVocab = model.vocabulary().size();
            assertEquals(spec.vocabSize() == 0 ? 512 : spec.vocabSize(), nVocab);
            int[] prompt = model.vocabulary().tokenize("Once upon a time", true, false);
            batch.addSequence(prompt, 0, 0, true);
            ctx.decode(batch);
            float[] promptLogits = ctx.logitsCopy(-1);
            assertEquals(nVocab, promptLogits.length);
            int[] tokens = new int[GREEDY];
            int pos = prompt.length;
            for (int i = 0; i < GREEDY; i++) {
                float[] logits = i == 0 ? promptLogits : ctx.logitsCopy(-1);
                for (int t = 0; t < logits.length; t++) {
                    assertTrue(Float.isFinite(logits[t]), () -> name + ": non-finite logit at step of token " + pos);
                }
                tokens[i] = ctx.argmax(-1);
                batch.clear();
                batch.add(tokens[i], pos + i, 0, true);
                ctx.decode(batch);
            }
            return new Run(tokens, promptLogits);
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void decodesDeterministicallyPerSeedInEveryStorageType(Architecture arch) throws IOException {
        String a = arch.ggufName();
        Run f32 = run(spec(arch, GgmlType.F32, 7), a + "-f32-seed7");
        Run f32Again = run(spec(arch, GgmlType.F32, 7), a + "-f32-seed7-again");
        Run otherSeed = run(spec(arch, GgmlType.F32, 8), a + "-f32-seed8");
        assertArrayEquals(f32.tokens(), f32Again.tokens(), a + ": same seed, other tokens");
        assertArrayEquals(f32.promptLogits(), f32Again.promptLogits(), a + ": same seed, other logits");
        assertFalse(
                Arrays.equals(f32.tokens(), otherSeed.tokens()),
                a + ": seeds 7 and 8 gave the same tokens " + Arrays.toString(f32.tokens()));

        Run f16 = run(spec(arch, GgmlType.F16, 7), a + "-f16-seed7");
        Run q8 = run(spec(arch, GgmlType.Q8_0, 7), a + "-q8_0-seed7");
        double cosF16 = cosine(f32.promptLogits(), f16.promptLogits());
        double cosQ8 = cosine(f32.promptLogits(), q8.promptLogits());
        double cosSeed = cosine(f32.promptLogits(), otherSeed.promptLogits());
        System.out.printf("%s logits cosine to f32: f16 %.6f, q8_0 %.6f, other seed %.4f%n", a, cosF16, cosQ8, cosSeed);
        assertTrue(cosF16 >= 0.9999, a + ": f16 logits cosine to f32 " + cosF16);
        assertTrue(cosQ8 >= 0.999, a + ": q8_0 logits cosine to f32 " + cosQ8);
        assertTrue(cosSeed < 0.9, a + ": another seed's logits are as close as a re-encoding: " + cosSeed);
    }
}
