package dev.winnow.ranking.dense;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * A cheap, deterministic embedding without a model: the feature-hashing trick (Weinberger et al., "Feature Hashing
 * for Large Scale Multitask Learning", ICML 2009) over Lucene's English analysis.
 *
 * <p>Each token of {@link EnglishAnalyzer} (Porter stems, English stopwords removed) is hashed with 64-bit FNV-1a; the
 * hash picks a dimension and a sign, and the token adds {@code sign * (1 + ln tf)} there. The index normalises the
 * result. Two texts sharing stems get a positive dot product, so dense retrieval with it behaves like a lossy,
 * idf-free bag-of-words match: a real embedding for testing the vector machinery, not a semantic model.
 */
public final class HashedBagOfWordsEmbedder implements Embedder {

    private final int dimension;
    private final Analyzer analyzer = new EnglishAnalyzer();

    /**
     * Creates the embedder.
     *
     * @param dimension the vector size, 1..4096
     * @throws IllegalArgumentException when the dimension is out of range
     */
    public HashedBagOfWordsEmbedder(int dimension) {
        if (dimension < 1 || dimension > 4096) {
            throw new IllegalArgumentException("dimension must be in 1..4096, got " + dimension);
        }
        this.dimension = dimension;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /** {@inheritDoc} Queries and documents are embedded alike (no instruction, no token budget). */
    @Override
    public float[][] embed(List<String> texts, Role role) {
        float[][] out = new float[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = embed(texts.get(i));
        }
        return out;
    }

    @Override
    public String describe() {
        return "hashed-bag-of-words dim=" + dimension + " analyzer=english hash=fnv1a64 weight=1+ln(tf)";
    }

    @Override
    public EmbedderIdentity embedderIdentity() {
        return EmbedderIdentity.fromDescription(describe(), dimension);
    }

    @Override
    public void close() {
        analyzer.close();
    }

    private float[] embed(String text) {
        Map<String, Integer> tf = new HashMap<>();
        try (TokenStream ts = analyzer.tokenStream("contents", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                tf.merge(term.toString(), 1, Integer::sum);
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        float[] v = new float[dimension];
        tf.forEach((t, n) -> {
            long h = fnv1a64(t);
            int slot = (int) Long.remainderUnsigned(h >>> 1, dimension);
            float sign = (h & 1) == 0 ? 1f : -1f;
            v[slot] += sign * (float) (1 + Math.log(n));
        });
        return v;
    }

    private static long fnv1a64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
