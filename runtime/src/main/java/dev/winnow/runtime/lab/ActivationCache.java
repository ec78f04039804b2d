package dev.winnow.runtime.lab;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.runtime.TensorView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Activations of one or more prompts kept off-heap by llama.cpp tensor name (TransformerLens's {@code
 * run_with_cache}): made by {@link Lab#cache}, addressed by prompt, name, layer, token and head. Memory is counted
 * as it is taken and bounded by the limit given to {@link Lab#cache}: a capture that would pass it fails with an
 * {@link IllegalStateException} naming the tensor, the prompt, the bytes held and the limit. Close it to free the
 * memory (everything read from it before stays valid; {@link CachedTensor}s do not).
 */
public final class ActivationCache implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final long limitBytes;
    private final List<int[]> prompts = new ArrayList<>();
    private final List<Map<String, CachedTensor>> tensors = new ArrayList<>();
    private long bytes;
    private boolean closed;

    ActivationCache(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("activation cache limit must be > 0 bytes, got " + limitBytes);
        }
        this.limitBytes = limitBytes;
    }

    int beginPrompt(int[] tokens) {
        prompts.add(tokens.clone());
        tensors.add(new LinkedHashMap<>());
        return prompts.size() - 1;
    }

    /** Copies a tap's view into the cache (called on the decoding thread). */
    void store(int prompt, TensorView v) {
        if (v.type() != GgmlType.F32) {
            throw new IllegalArgumentException("activation " + v.name() + " is " + v.type()
                    + ": the cache keeps F32 activations only; narrow the glob");
        }
        int nTokens = prompts.get(prompt).length;
        long[] ne = v.shape();
        boolean scores = v.name().startsWith("kq-") || v.name().startsWith("kq_soft_max-");
        if (scores) {
            ne[0] = Math.min(ne[0], nTokens); // only the prompt's own KV cells
        }
        int axis = tokenAxis(v.name(), ne, nTokens);
        long n = ne[0] * ne[1] * ne[2] * ne[3];
        Map<String, CachedTensor> map = tensors.get(prompt);
        CachedTensor old = map.get(v.name());
        MemorySegment seg;
        if (old != null && old.bytes() == 4 * n) {
            seg = old.data; // a later node of the same name (Qcur-L: projection, reshape, RoPE): keep the last
        } else {
            if (bytes + 4 * n > limitBytes) {
                throw new IllegalStateException("activation cache limit of " + limitBytes + " bytes reached: "
                        + v.name() + " of prompt " + prompt
                        + " needs " + 4 * n + " bytes more than the " + bytes + " held; raise the limit, capture fewer"
                        + " tensors (narrower globs) or fewer/shorter prompts");
            }
            seg = arena.allocate(4 * n, 64);
            bytes += 4 * n;
        }
        long[] nb = v.strides();
        MemorySegment src = v.data();
        long k = 0;
        for (long i3 = 0; i3 < ne[3]; i3++) {
            for (long i2 = 0; i2 < ne[2]; i2++) {
                for (long i1 = 0; i1 < ne[1]; i1++) {
                    long base = i1 * nb[1] + i2 * nb[2] + i3 * nb[3];
                    if (nb[0] == 4) {
                        MemorySegment.copy(src, base, seg, 4 * k, 4 * ne[0]);
                        k += ne[0];
                    } else {
                        for (long i0 = 0; i0 < ne[0]; i0++) {
                            seg.setAtIndex(
                                    ValueLayout.JAVA_FLOAT, k++, src.get(ValueLayout.JAVA_FLOAT, base + i0 * nb[0]));
                        }
                    }
                }
            }
        }
        map.put(v.name(), new CachedTensor(v.name(), v.layer(), v.op(), ne, axis, seg));
    }

    static int tokenAxis(String name, long[] ne, int nTokens) {
        if (name.startsWith("kq-") || name.startsWith("kq_soft_max-") || name.startsWith("kqv-")) {
            return 1;
        }
        return ne[2] == nTokens ? 2 : 1;
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("activation cache is closed");
        }
    }

    /**
     * @return prompts cached
     */
    public int promptCount() {
        return prompts.size();
    }

    /**
     * @param prompt prompt index
     * @return its tokens
     */
    public int[] tokens(int prompt) {
        checkPrompt(prompt);
        return prompts.get(prompt).clone();
    }

    /**
     * @param prompt prompt index
     * @return names of the tensors cached for it, in the order the graph computed them
     */
    public List<String> names(int prompt) {
        checkPrompt(prompt);
        return Collections.unmodifiableList(new ArrayList<>(tensors.get(prompt).keySet()));
    }

    /**
     * @param prompt prompt index
     * @param name llama.cpp tensor name ("l_out-3")
     * @return the tensor
     * @throws IllegalArgumentException if it was not captured (the message lists what was)
     */
    public CachedTensor tensor(int prompt, String name) {
        checkPrompt(prompt);
        CachedTensor t = tensors.get(prompt).get(name);
        if (t == null) {
            throw new IllegalArgumentException("activation " + name + " was not cached for prompt " + prompt
                    + "; cached: " + tensors.get(prompt).keySet());
        }
        return t;
    }

    /**
     * The residual stream after a layer ({@code l_out-L}, TransformerLens {@code blocks.L.hook_resid_post}).
     *
     * @param prompt prompt index
     * @param layer layer
     * @param token token index
     * @return n_embd values
     */
    public float[] residual(int prompt, int layer, int token) {
        return tensor(prompt, "l_out-" + layer).atToken(token);
    }

    /**
     * One head's output before the output projection (a slice of {@code kqv_out-L}, TransformerLens {@code
     * blocks.L.attn.hook_z[token, head]}).
     *
     * @param prompt prompt index
     * @param layer layer
     * @param token token index
     * @param head head
     * @param headCount the model's heads (n_head)
     * @return head_dim values
     */
    public float[] headOutput(int prompt, int layer, int token, int head, int headCount) {
        float[] all = tensor(prompt, "kqv_out-" + layer).atToken(token);
        if (head < 0 || head >= headCount || all.length % headCount != 0) {
            throw new IndexOutOfBoundsException("head " + head + " outside [0, " + headCount + ") of kqv_out-" + layer);
        }
        int hd = all.length / headCount;
        float[] out = new float[hd];
        System.arraycopy(all, head * hd, out, 0, hd);
        return out;
    }

    /**
     * One head's attention pattern ({@code kq_soft_max-L}, TransformerLens {@code blocks.L.attn.hook_pattern[head]}).
     *
     * @param prompt prompt index
     * @param layer layer
     * @param head head
     * @return [query token][key token] probabilities; each row sums to 1 over keys up to the query
     */
    public float[][] attentionPattern(int prompt, int layer, int head) {
        CachedTensor t = tensor(prompt, "kq_soft_max-" + layer);
        long[] ne = t.shape();
        if (head < 0 || head >= ne[2]) {
            throw new IndexOutOfBoundsException("head " + head + " outside [0, " + ne[2] + ") of " + t.name());
        }
        float[][] out = new float[(int) ne[1]][(int) ne[0]];
        for (int q = 0; q < ne[1]; q++) {
            for (int k = 0; k < ne[0]; k++) {
                out[q][k] = t.get(k, q, head);
            }
        }
        return out;
    }

    /**
     * @return bytes held off-heap
     */
    public long bytes() {
        return bytes;
    }

    /**
     * @return the most bytes this cache may hold
     */
    public long limitBytes() {
        return limitBytes;
    }

    private void checkPrompt(int prompt) {
        open();
        if (prompt < 0 || prompt >= prompts.size()) {
            throw new IndexOutOfBoundsException("prompt " + prompt + " outside [0, " + prompts.size() + ")");
        }
    }

    /** Frees the off-heap memory; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
