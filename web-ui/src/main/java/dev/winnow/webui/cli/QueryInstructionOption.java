package dev.winnow.webui.cli;

import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedder;
import picocli.CommandLine.Option;

/**
 * The {@code --query-instruction} option of the commands that embed queries ({@code search}, {@code eval}): the text a
 * llama.cpp or ONNX embedding model gets before each query (never before documents), overriding the model's
 * recommended one ({@link BatchingEmbedder#queryInstruction()}).
 */
final class QueryInstructionOption {

    @Option(
            names = "--query-instruction",
            paramLabel = "TEXT",
            description =
                    "text prefixed to each query before the embedding model (GGUF or ONNX) embeds it (dense and hybrid); "
                            + "default: the model's recommended one (bge-small-en-v1.5: 'Represent this sentence for searching relevant "
                            + "passages: '; MiniLM: none); '' for none")
    String text;

    /**
     * Applies the option to the embedder an index re-opened.
     *
     * @param embedder the embedder, or null when the command embeds no query
     * @throws IllegalArgumentException when the option is given but the index's embedder is not a model (llama.cpp or
     *     ONNX Runtime)
     *     (the hashed bag-of-words embedder takes no instruction)
     */
    void apply(Embedder embedder) {
        if (text == null || embedder == null) {
            return;
        }
        if (!(embedder instanceof BatchingEmbedder l)) {
            throw new IllegalArgumentException(
                    "--query-instruction needs an index embedded by a llama.cpp model or an ONNX model, not ["
                            + embedder.describe() + "]");
        }
        l.setQueryInstruction(text);
    }
}
