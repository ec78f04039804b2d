package dev.winnow.ranking.incontext;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.attention.Attention;
import dev.winnow.runtime.attention.AttentionInputs;
import dev.winnow.runtime.attention.AttentionMask;
import dev.winnow.runtime.attention.AttentionProbabilities;
import dev.winnow.runtime.attention.AttentionTensor;
import dev.winnow.runtime.attention.ElementType;
import dev.winnow.runtime.attention.MobaGate;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The computations that needed {@code jdk.incubator.vector} before the scalar fallback, as lines {@code key value}:
 * BlockRank's scores on stories260K (BlockRelevance's dot products) and the tiled attention engine (dense attention
 * with probabilities in tile and row layout, MoBA block-sparse attention) on seeded inputs. {@link VectorApiOptionalTest}
 * runs it in a child JVM without the module and in its own JVM with it, and compares the lines.
 */
final class VectorApiOptionalMain {
    private VectorApiOptionalMain() {}

    public static void main(String[] args) {
        for (String line : compute()) {
            System.out.println(line);
        }
    }

    static List<String> compute() {
        List<String> out = new ArrayList<>();
        out.add("vectorApi " + Attention.usesVectorApi());
        try (Model model = Llama.load().loadModel(Fixtures.stories260K());
                InContextRanker ranker = InContextRanker.blockRank(
                        model,
                        InContextOptions.defaults()
                                .withKvType(GgmlType.F32)
                                .withThreads(1)
                                .withBatchTokens(256))) {
            for (RankedDocument d :
                    ranker.rank("Where did Lily play?", Fixtures.stories(6)).documents()) {
                out.add("blockrank." + d.docId() + " " + d.score());
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(17);
            // stories260K's attention shape (8 query heads over 4 KV heads, head dim 8) and a wider GQA one
            attention(out, "tiles", arena, rnd, 70, 130, 8, 4, 8);
            attention(out, "rows", arena, rnd, 1, 97, 8, 2, 64);
            AttentionInputs in = AttentionInputs.of(
                    random(arena, rnd, 96, 4, 2, 32),
                    random(arena, rnd, 96, 2, 2, 32),
                    random(arena, rnd, 96, 2, 2, 32));
            AttentionTensor moba = AttentionTensor.allocate(arena, ElementType.F32, 96, 4, 32);
            new MobaGate(16, 3, null).attend(in, AttentionMask.causal(96, 96), moba);
            values(out, "moba", moba);
        }
        return out;
    }

    private static void attention(
            List<String> out, String name, Arena arena, Random rnd, int nq, int nkv, int heads, int kvHeads, int dim) {
        AttentionInputs in = AttentionInputs.of(
                random(arena, rnd, nq, heads, 2, dim),
                random(arena, rnd, nkv, kvHeads, 2, dim),
                random(arena, rnd, nkv, kvHeads, 1, dim));
        AttentionTensor o = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, dim);
        AttentionProbabilities p = AttentionProbabilities.allocate(arena, heads, nq, nkv);
        Attention.dense(in, AttentionMask.causal(nq, nkv), o, p);
        values(out, name + ".out", o);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < nq; i++) {
                for (int j = 0; j < nkv; j += 7) {
                    out.add(name + ".p." + h + "." + i + "." + j + " " + p.get(h, i, j));
                }
            }
        }
    }

    private static void values(List<String> out, String name, AttentionTensor t) {
        for (int i = 0; i < t.tokens(); i++) {
            for (int h = 0; h < t.heads(); h++) {
                for (int c = 0; c < t.dim(); c++) {
                    out.add(name + "." + i + "." + h + "." + c + " " + t.get(i, h, c));
                }
            }
        }
    }

    private static AttentionTensor random(Arena arena, Random rnd, int tokens, int heads, float amp, int dim) {
        AttentionTensor t = AttentionTensor.allocate(arena, ElementType.F32, tokens, heads, dim);
        for (int i = 0; i < tokens; i++) {
            for (int h = 0; h < heads; h++) {
                for (int c = 0; c < dim; c++) {
                    t.set(i, h, c, (rnd.nextFloat() * 2 - 1) * amp);
                }
            }
        }
        return t;
    }
}
