/**
 * Loading llama.cpp's native libraries ({@link dev.winnow.bindings.LlamaNative}: where from, once per JVM, the backends
 * and devices found) and routing its log to SLF4J ({@link dev.winnow.bindings.NativeLogBridge}). The bindings themselves
 * are in {@code dev.winnow.bindings.llama}.
 */
package dev.winnow.bindings;
