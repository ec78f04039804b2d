package dev.winnow.ranking.incontext.prompt;

import java.util.ArrayList;
import java.util.List;

/**
 * A ranking prompt cut into blocks of tokens: one instruction block, one block per document (in the order given to
 * the builder), and one query block whose last token is the signal token. The blocks are kept apart so that a ranker
 * can place them in llama.cpp sequences and positions as its method needs, and map every KV cell back to its
 * document and token.
 */
public final class PromptLayout {

    /** What a block holds. */
    public enum Kind { INSTRUCTION, DOCUMENT, QUERY }

    /**
     * One block.
     *
     * @param kind          the kind
     * @param document      the document index (0-based, the builder's order) for {@link Kind#DOCUMENT}; -1 otherwise
     * @param tokens        the block's token ids
     * @param contentTokens how many content tokens (document text or query text) the block keeps after truncation
     * @param truncated     whether the content was cut to the token budget
     */
    public record Block(Kind kind, int document, int[] tokens, int contentTokens, boolean truncated) {
        /** Number of tokens. */
        public int length() {
            return tokens.length;
        }
    }

    private final Block instruction;
    private final List<Block> documents;
    private final Block query;

    PromptLayout(Block instruction, List<Block> documents, Block query) {
        this.instruction = instruction;
        this.documents = List.copyOf(documents);
        this.query = query;
    }

    /** The instruction block (it starts with BOS when the model adds one). */
    public Block instruction() {
        return instruction;
    }

    /** The document blocks, in the builder's order. */
    public List<Block> documents() {
        return documents;
    }

    /** The query block; its last token is the signal token. */
    public Block query() {
        return query;
    }

    /** The same layout with another query block (ICR's content-free calibration query). */
    public PromptLayout withQuery(Block newQuery) {
        if (newQuery.kind() != Kind.QUERY) {
            throw new IllegalArgumentException("not a query block: " + newQuery.kind());
        }
        return new PromptLayout(instruction, documents, newQuery);
    }

    /** Length of the longest document block in tokens (0 without documents). */
    public int maxDocumentLength() {
        int m = 0;
        for (Block b : documents) {
            m = Math.max(m, b.length());
        }
        return m;
    }

    /** Tokens of all document blocks together. */
    public int documentTokens() {
        int n = 0;
        for (Block b : documents) {
            n += b.length();
        }
        return n;
    }

    /** Instruction, documents and query tokens together. */
    public int totalTokens() {
        return instruction.length() + documentTokens() + query.length();
    }

    /** Number of documents whose content was truncated to the budget. */
    public int truncatedDocuments() {
        int n = 0;
        for (Block b : documents) {
            if (b.truncated()) {
                n++;
            }
        }
        return n;
    }

    /** The blocks in causal prompt order: instruction, documents, query. */
    public List<Block> blocksInOrder() {
        List<Block> all = new ArrayList<>(documents.size() + 2);
        all.add(instruction);
        all.addAll(documents);
        all.add(query);
        return all;
    }

    /** All tokens in causal prompt order (instruction, documents, query). */
    public int[] causalTokens() {
        int[] out = new int[totalTokens()];
        int at = 0;
        for (Block b : blocksInOrder()) {
            System.arraycopy(b.tokens(), 0, out, at, b.length());
            at += b.length();
        }
        return out;
    }
}
