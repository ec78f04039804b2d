package dev.winnow.webui.serve;

import dev.winnow.models.catalog.CatalogEntry;
import dev.winnow.models.catalog.ModelCatalog;
import dev.winnow.ranking.incontext.InContextRanker;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One {@code --model NAME=SPEC} of {@code winnow serve}: the name clients put in the request's {@code model} field, and
 * what serves it.
 *
 * <p>SPEC is {@code [RANKER:]SOURCE}:
 *
 * <ul>
 *   <li>RANKER, one of {@link InContextRanker#NAMES} ({@code blockrank}, {@code icr}, {@code listwise},
 *       {@code pointwise}, {@code embedding}, {@code encoder}): the model serves {@code /v1/rerank} with that ranker.
 *       Without it (or with {@code embedding}) the model is an embedder: it serves {@code /v1/embeddings}, and
 *       {@code /v1/rerank} by the cosine of query and document embeddings (the embedding ranker).
 *   <li>SOURCE: a GGUF file; a catalog name or its short name ({@code all-minilm-l6-v2} or {@code minilm},
 *       {@code bge-small}: see {@code winnow models list}), pulled or converted into Winnow's home when absent; or,
 *       for an embedder, any spec {@link dev.winnow.ranking.dense.Embedders#open} accepts ({@code hashed-bow:DIM},
 *       and the ONNX embedders when that path knows them).
 * </ul>
 *
 * @param name the model's name in requests
 * @param ranker the ranker's name, or {@code null} for an embedder
 * @param source the model file, catalog name or embedder spec
 */
public record ModelSpec(String name, String ranker, String source) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:-]{0,127}");

    /**
     * @throws IllegalArgumentException naming the part of the spec at fault
     */
    public ModelSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "--model: name '" + name + "' must be 1-128 letters, digits, '.', '_', '/', ':' or '-'");
        }
        if (ranker != null) {
            InContextRanker.checkName(ranker);
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("--model " + name + ": no model file or catalog name after '='");
        }
    }

    /**
     * Parses {@code NAME=[RANKER:]SOURCE}.
     *
     * @param arg the option's value
     * @return the spec
     * @throws IllegalArgumentException when there is no {@code =}, the name is not allowed or the source is empty
     */
    public static ModelSpec parse(String arg) {
        int eq = arg == null ? -1 : arg.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException(
                    "--model '" + arg + "': expected NAME=SPEC, e.g. minilm=minilm or rerank=pointwise:model.gguf");
        }
        String name = arg.substring(0, eq).strip();
        String spec = arg.substring(eq + 1).strip();
        int colon = spec.indexOf(':');
        if (colon > 0) {
            String head = spec.substring(0, colon).toLowerCase(Locale.ROOT);
            if (InContextRanker.NAMES.contains(head)) {
                String rest = spec.substring(colon + 1).strip();
                return new ModelSpec(name, head.equals("embedding") ? null : head, rest);
            }
        }
        return new ModelSpec(name, null, spec);
    }

    /**
     * @return whether the model serves embeddings ({@code /v1/embeddings}); otherwise it is a re-ranker only
     */
    public boolean embedder() {
        return ranker == null;
    }

    /**
     * The catalog entry SOURCE names, by its name or its short name (case-insensitive).
     *
     * @param catalog the catalog
     * @return the entry, or empty when SOURCE names none
     */
    public Optional<CatalogEntry> catalogEntry(ModelCatalog catalog) {
        for (CatalogEntry e : catalog.entries()) {
            if (e.name().equalsIgnoreCase(source)
                    || (e.maven() != null && e.maven().equalsIgnoreCase(source))) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}
