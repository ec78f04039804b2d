package dev.winnow.runtime.lab;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.gguf_init_params;
import dev.winnow.runtime.Llama;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reads a control-vector GGUF with llama.cpp's own gguf reader ({@code gguf_init_from_file} of ggml) and assembles
 * it by the rules of llama.cpp's {@code common_control_vector_load}: every tensor named {@code direction.L} must be
 * F32 and one-dimensional with n_embd values, L >= 1, and lands at {@code [(L - 1) * n_embd, L * n_embd)}.
 */
final class ControlVectorGguf {
    private ControlVectorGguf() {}

    static float[] read(Path file, int nEmbd, int nLayer) throws IOException {
        Llama.load();
        float[] out = new float[nEmbd * (nLayer - 1)];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = gguf_init_params.allocate(arena);
            gguf_init_params.no_alloc(params, true);
            gguf_init_params.ctx(params, MemorySegment.NULL);
            MemorySegment ctx = ggml_h.gguf_init_from_file(arena.allocateFrom(file.toString()), params);
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IOException("llama.cpp's gguf reader refused " + file);
            }
            try {
                long kv = ggml_h.gguf_find_key(ctx, arena.allocateFrom("general.architecture"));
                String arch = ggml_h.gguf_get_val_str(ctx, kv).reinterpret(64).getString(0);
                if (!arch.equals("controlvector")) {
                    throw new IOException("general.architecture is " + arch);
                }
                long base = ggml_h.gguf_get_data_offset(ctx);
                long n = ggml_h.gguf_get_n_tensors(ctx);
                try (FileChannel ch = FileChannel.open(file)) {
                    for (long t = 0; t < n; t++) {
                        String name = ggml_h.gguf_get_tensor_name(ctx, t)
                                .reinterpret(64)
                                .getString(0);
                        if (!name.startsWith("direction.")) {
                            continue;
                        }
                        int layer = Integer.parseInt(name.substring("direction.".length()));
                        if (layer < 1
                                || ggml_h.gguf_get_tensor_type(ctx, t) != ggml_h.GGML_TYPE_F32()
                                || ggml_h.gguf_get_tensor_size(ctx, t) != 4L * nEmbd) {
                            throw new IOException("tensor " + name + " breaks the loader's rules");
                        }
                        ByteBuffer bb = ByteBuffer.allocate(4 * nEmbd).order(ByteOrder.LITTLE_ENDIAN);
                        ch.read(bb, base + ggml_h.gguf_get_tensor_offset(ctx, t));
                        bb.flip();
                        for (int i = 0; i < nEmbd; i++) {
                            out[(layer - 1) * nEmbd + i] += bb.getFloat();
                        }
                    }
                }
            } finally {
                ggml_h.gguf_free(ctx);
            }
        }
        return out;
    }
}
