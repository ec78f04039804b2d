package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.ggml_tensor;
import dev.winnow.bindings.llama.llama_batch;
import dev.winnow.bindings.llama.llama_context_params;
import dev.winnow.bindings.llama.llama_h;
import dev.winnow.bindings.llama.llama_model_params;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Loads the real library and calls into it; checks the struct sizes measured with gcc (docs/design.md). */
class LlamaNativeSmokeTest {

    @Test
    void loadsTheLibraryAndCallsIntoIt() {
        LlamaNative lib = LlamaNative.load();
        assertEquals(3, lib.loadedLibraries().size());
        assertTrue(lib.loadedLibraries().get(2).getFileName().toString().startsWith("libllama"));
        String info = llama_h.llama_print_system_info().getString(0);
        assertTrue(info.contains("CPU"), info);
        assertTrue(llama_h.llama_max_devices() >= 1);
        assertTrue(
                lib.backends().stream().anyMatch(b -> b.name().equals("CPU")),
                lib.backends().toString());
        assertTrue(
                lib.devices().stream().anyMatch(d -> d.type().equals("CPU")),
                lib.devices().toString());
        assertEquals("v0.5.0", lib.llamaCppRelease().orElseThrow());
        assertEquals(4, ggml_h.ggml_type_size(ggml_h.GGML_TYPE_F32()));
        assertEquals("f16", ggml_h.ggml_type_name(ggml_h.GGML_TYPE_F16()).getString(0));
    }

    @Test
    void structsHaveTheSizesGccMeasured() {
        assertEquals(80, llama_model_params.sizeof());
        assertEquals(160, llama_context_params.sizeof());
        assertEquals(28, llama_context_params.n_threads$offset());
        assertEquals(52, llama_context_params.flash_attn_type$offset());
        assertEquals(88, llama_context_params.cb_eval$offset());
        assertEquals(96, llama_context_params.cb_eval_user_data$offset());
        assertEquals(128, llama_context_params.embeddings$offset());
        assertEquals(133, llama_context_params.kv_unified$offset());
        assertEquals(56, llama_batch.sizeof());
        assertEquals(336, ggml_tensor.sizeof());
        assertEquals(16, ggml_tensor.ne$offset());
        assertEquals(48, ggml_tensor.nb$offset());
        assertEquals(80, ggml_tensor.op$offset());
        assertEquals(248, ggml_tensor.data$offset());
        assertEquals(256, ggml_tensor.name$offset());
    }

    @Test
    void structByValueReturnsAndArgumentsWork() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cparams = llama_h.llama_context_default_params(arena);
            assertEquals(160, cparams.byteSize());
            assertTrue(llama_context_params.n_batch(cparams) > 0);
            MemorySegment mparams = llama_h.llama_model_default_params(arena);
            // llama_model_default_params() in llama-model.cpp: n_gpu_layers -1, split LAYER, use_extra_bufts true
            assertEquals(-1, llama_model_params.n_gpu_layers(mparams));
            assertEquals(llama_h.LLAMA_SPLIT_MODE_LAYER(), llama_model_params.split_mode(mparams));
            assertTrue(llama_model_params.use_extra_bufts(mparams));
            assertFalse(llama_model_params.vocab_only(mparams));
            MemorySegment batch = llama_h.llama_batch_init(arena, 8, 0, 1);
            assertEquals(0, llama_batch.n_tokens(batch));
            assertFalse(llama_batch.token(batch).equals(MemorySegment.NULL));
            llama_h.llama_batch_free(batch);
        }
    }
}
