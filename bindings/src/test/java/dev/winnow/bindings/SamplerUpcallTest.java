package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.winnow.bindings.llama.llama_h;
import dev.winnow.bindings.llama.llama_sampler_chain_params;
import dev.winnow.bindings.llama.llama_sampler_i;
import dev.winnow.bindings.llama.llama_token_data;
import dev.winnow.bindings.llama.llama_token_data_array;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A sampler written in Java behind llama.cpp's {@code llama_sampler_i} (upcalls through the function-pointer field
 * classes, struct accessors on pointers handed in by C), alone and in a chain after llama.cpp's own top-k; and
 * llama.cpp's greedy sampler reading a {@code llama_token_data_array} built in Java.
 */
class SamplerUpcallTest {

    private static final int[] IDS = {10, 11, 12, 13, 14};
    private static final float[] LOGITS = {0.5f, 3.0f, -1.0f, 2.0f, 1.0f};

    private static MemorySegment candidates(Arena arena) {
        MemorySegment data = llama_token_data.allocateArray(IDS.length, arena);
        for (int i = 0; i < IDS.length; i++) {
            MemorySegment d = llama_token_data.asSlice(data, i);
            llama_token_data.id(d, IDS[i]);
            llama_token_data.logit(d, LOGITS[i]);
            llama_token_data.p(d, 0f);
        }
        MemorySegment cur = llama_token_data_array.allocate(arena);
        llama_token_data_array.data(cur, data);
        llama_token_data_array.size(cur, IDS.length);
        llama_token_data_array.selected(cur, -1);
        llama_token_data_array.sorted(cur, false);
        return cur;
    }

    private static int selectedId(MemorySegment cur) {
        long sel = llama_token_data_array.selected(cur);
        return llama_token_data.id(llama_token_data.asSlice(llama_token_data_array.data(cur), sel));
    }

    /** A Java sampler that selects the candidate with the lowest logit and records what it saw. */
    private static MemorySegment lowestLogitSampler(Arena arena, List<String> seen) {
        MemorySegment iface = llama_sampler_i.allocate(arena);
        MemorySegment name = arena.allocateFrom("winnow-lowest");
        llama_sampler_i.name(iface, llama_sampler_i.name.allocate(smpl -> name, arena));
        llama_sampler_i.accept(
                iface, llama_sampler_i.accept.allocate((smpl, token) -> seen.add("accept " + token), arena));
        llama_sampler_i.apply(
                iface,
                llama_sampler_i.apply.allocate(
                        (smpl, cur) -> {
                            long n = llama_token_data_array.size(cur);
                            MemorySegment data = llama_token_data_array.data(cur);
                            long best = 0;
                            for (long i = 1; i < n; i++) {
                                if (llama_token_data.logit(llama_token_data.asSlice(data, i))
                                        < llama_token_data.logit(llama_token_data.asSlice(data, best))) {
                                    best = i;
                                }
                            }
                            llama_token_data_array.selected(cur, best);
                            seen.add("apply " + n);
                        },
                        arena));
        return llama_h.llama_sampler_init(iface, MemorySegment.NULL);
    }

    @Test
    void javaSamplerRunsBehindTheCInterface() {
        List<String> seen = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment smpl = lowestLogitSampler(arena, seen);
            assertEquals("winnow-lowest", llama_h.llama_sampler_name(smpl).getString(0));
            MemorySegment cur = candidates(arena);
            llama_h.llama_sampler_apply(smpl, cur);
            assertEquals(12, selectedId(cur));
            llama_h.llama_sampler_accept(smpl, 12);
            assertEquals(List.of("apply 5", "accept 12"), seen);
            llama_h.llama_sampler_free(smpl);
        }
    }

    @Test
    void javaSamplerInAChainAfterTopK() {
        List<String> seen = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = llama_h.llama_sampler_chain_default_params(arena);
            llama_sampler_chain_params.no_perf(params, true);
            MemorySegment chain = llama_h.llama_sampler_chain_init(params);
            llama_h.llama_sampler_chain_add(chain, llama_h.llama_sampler_init_top_k(2));
            llama_h.llama_sampler_chain_add(chain, lowestLogitSampler(arena, seen));
            assertEquals(2, llama_h.llama_sampler_chain_n(chain));
            MemorySegment cur = candidates(arena);
            llama_h.llama_sampler_apply(chain, cur);
            // top-k keeps logits 3.0 (id 11) and 2.0 (id 13); the lowest of those is id 13
            assertEquals(List.of("apply 2"), seen);
            assertEquals(13, selectedId(cur));
            llama_h.llama_sampler_free(chain);
        }
    }

    @Test
    void greedyReadsTheJavaBuiltArray() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment greedy = llama_h.llama_sampler_init_greedy();
            MemorySegment cur = candidates(arena);
            llama_h.llama_sampler_apply(greedy, cur);
            assertEquals(11, selectedId(cur));
            assertFalse(llama_h.llama_sampler_name(greedy).getString(0).isEmpty());
            llama_h.llama_sampler_free(greedy);
        }
    }
}
