package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.bindings.llama.llama_h;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama.cpp's reasons for a failed call are kept per thread for the caller's exception message. */
class NativeLogBridgeTest {

    @Test
    void failedModelLoadLeavesItsReasonOnTheCallingThread(@TempDir Path tmp) throws Exception {
        LlamaNative.load();
        Path missing = tmp.resolve("missing.gguf");
        NativeLogBridge.clearErrors();
        assertEquals(List.of(), NativeLogBridge.errors());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = llama_h.llama_model_default_params(arena);
            MemorySegment model = llama_h.llama_model_load_from_file(arena.allocateFrom(missing.toString()), params);
            assertEquals(MemorySegment.NULL, model);
        }
        List<String> errors = NativeLogBridge.errors();
        assertTrue(errors.stream().anyMatch(l -> l.contains(missing.toString())), errors.toString());
        assertTrue(NativeLogBridge.lastError().isPresent());
        assertTrue(errors.stream().noneMatch(l -> l.endsWith("\n")), errors.toString());

        AtomicReference<List<String>> other = new AtomicReference<>();
        Thread t = new Thread(() -> other.set(NativeLogBridge.errors()));
        t.start();
        t.join();
        assertEquals(List.of(), other.get(), "another thread sees none of this thread's lines");

        NativeLogBridge.clearErrors();
        assertEquals(Optional.empty(), NativeLogBridge.lastError());
    }
}
