package dev.winnow.bindings;

import dev.winnow.bindings.llama.llama_h;

/** Run in a fresh JVM by {@link LoaderTest}: the very first call is a binding the load itself needs. */
public final class FirstCallMain {

    private FirstCallMain() {}

    /**
     * Entry point.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        llama_h.llama_backend_init();
        System.out.println("loaded: " + LlamaNative.load().describe());
    }
}
