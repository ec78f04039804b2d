/**
 * llama.cpp's native libraries and their generated bindings. Internal to Winnow: only the runtime module reads it;
 * applications use {@code dev.winnow.runtime} (see docs/modules/bindings.md).
 */
module dev.winnow.bindings {
    requires org.slf4j;

    exports dev.winnow.bindings to
            dev.winnow.runtime;
    exports dev.winnow.bindings.llama to
            dev.winnow.runtime;
}
