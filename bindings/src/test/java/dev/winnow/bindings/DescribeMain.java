package dev.winnow.bindings;

import dev.winnow.bindings.llama.llama_h;

/** Run in a fresh JVM by {@link FetchTest}: loads the library as configured by the environment and says what happened. */
public final class DescribeMain {

    private DescribeMain() {}

    /**
     * Entry point.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        try {
            LlamaNative lib = LlamaNative.load();
            System.out.println("loaded: " + lib.describe());
            System.out.println("max devices: " + llama_h.llama_max_devices());
        } catch (NativeLibraryException e) {
            System.out.println("error: " + e.getMessage());
        }
    }
}
