/**
 * Collections, BM25/dense/hybrid retrieval over Lucene, embedders, evaluation and the in-context re-rankers
 * (see docs/modules/ranking.md). The rankers' implementation packages ({@code incontext.blockrank}, {@code capture},
 * {@code embedding}, {@code encoder}, {@code icr}, {@code pointwise}, {@code score}) are internal: callers create
 * rankers through {@link dev.winnow.ranking.incontext.InContextRanker}; {@code incontext.prompt} is API because
 * {@link dev.winnow.ranking.incontext.InContextOptions} takes its prompt family and wording.
 */
module dev.winnow.ranking {
    requires transitive dev.winnow.runtime;
    requires java.management;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires transitive org.apache.lucene.core; // IndexSettings.newAnalyzer() returns a Lucene Analyzer
    requires org.apache.lucene.analysis.common;
    requires com.microsoft.onnxruntime; // OnnxEmbedder (the automatic module name of the onnxruntime jar)
    requires commons.math3; // no Automatic-Module-Name in commons-math3 3.6.1: the name derives from the file name

    exports dev.winnow.ranking.collection;
    exports dev.winnow.ranking.dense;
    exports dev.winnow.ranking.eval;
    exports dev.winnow.ranking.fusion;
    exports dev.winnow.ranking.incontext;
    exports dev.winnow.ranking.incontext.prompt;
    exports dev.winnow.ranking.index;
    // winnow serve shares one context between embedding and ranking requests (EmbeddingRanker.embedder())
    exports dev.winnow.ranking.incontext.embedding to
            dev.winnow.webui;
}
