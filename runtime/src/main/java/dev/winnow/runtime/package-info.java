/**
 * Winnow's Java API over llama.cpp: {@link dev.winnow.runtime.Llama} (the native library, once per JVM), {@link
 * dev.winnow.runtime.Model} (weights, vocabulary, metadata, LoRA adapters; shared by threads), {@link
 * dev.winnow.runtime.Context} (KV cache, decode/encode, logits, embeddings, state, control vectors; one thread at a
 * time), {@link dev.winnow.runtime.Batch} (reusable off-heap input), {@link dev.winnow.runtime.KvCache} (sequence and
 * position operations), {@link dev.winnow.runtime.Sampler}, and the activation {@link dev.winnow.runtime.Taps} with
 * {@link dev.winnow.runtime.TensorSelector} and {@link dev.winnow.runtime.TensorView}. Input that would make llama.cpp
 * abort the process is refused in Java with an exception naming the limit.
 */
package dev.winnow.runtime;
