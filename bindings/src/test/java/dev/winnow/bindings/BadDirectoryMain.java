package dev.winnow.bindings;

import dev.winnow.bindings.llama.llama_h;

/** Run in a fresh JVM by {@link LoaderTest} with a missing WINNOW_LLAMA_LIB_DIR: prints what each call throws. */
public final class BadDirectoryMain {

    private BadDirectoryMain() {}

    /**
     * Entry point.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        for (int i = 0; i < 2; i++) {
            try {
                llama_h.llama_max_devices();
                System.out.println("binding: no exception");
            } catch (RuntimeException | Error e) {
                System.out.println("binding: " + e);
            }
        }
        try {
            LlamaNative.load();
            System.out.println("load: no exception");
        } catch (NativeLibraryException e) {
            System.out.println("load: " + e);
        }
        try {
            LlamaNative.load();
        } catch (NativeLibraryException e) {
            System.out.println("again: " + e.getClass().getName());
        }
    }
}
