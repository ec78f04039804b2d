/**
 * GGUF files (read, validate, write), synthetic models, the model catalog and the ONNX-to-GGUF converter, and the
 * progress and cancellation types every other module uses. Pure Java (see docs/modules/models.md).
 */
module dev.winnow.models {
    requires java.net.http;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires com.google.protobuf;

    exports dev.winnow.models;
    exports dev.winnow.models.catalog;
    exports dev.winnow.models.convert;
    exports dev.winnow.models.download; // ModelPuller's HttpDownloader, DownloadException
    exports dev.winnow.models.gguf;
    exports dev.winnow.models.maven; // EmbeddingModelSpec's MavenArtifact, EmbeddingModels' resolver
    exports dev.winnow.models.synth;
    exports dev.winnow.models.tokenizer;
    // tools behind `winnow models fuzz|inspect|convert-onnx` and the runtime's load fuzzer; not a library API.
    // (dev.winnow.models.onnx.proto, the generated protobuf classes, is exported to no one.)
    exports dev.winnow.models.gguf.fuzz to
            dev.winnow.runtime,
            dev.winnow.webui;
    exports dev.winnow.models.gguf.inspect to
            dev.winnow.webui;
    exports dev.winnow.models.onnx to
            dev.winnow.webui;
}
