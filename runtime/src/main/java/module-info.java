/**
 * The Java runtime over llama.cpp: models, contexts, batches, sampling and generation, attention taps and Java
 * attention kernels (see docs/modules/runtime.md).
 *
 * <p>The Vector API is optional ({@code requires static}): without {@code --add-modules jdk.incubator.vector} the
 * attention kernels run a scalar implementation with the same results (docs/runtime.md, "Vector API").
 */
module dev.winnow.runtime {
    requires transitive dev.winnow.models;
    requires dev.winnow.bindings;
    requires org.slf4j;
    requires static jdk.incubator.vector;

    exports dev.winnow.runtime;
    exports dev.winnow.runtime.attention;
    exports dev.winnow.runtime.generate;
    exports dev.winnow.runtime.lab;
    exports dev.winnow.runtime.model;
}
