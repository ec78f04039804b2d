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
    public enum Kind {
        INSTRUCTION,
        DOCUMENT,
        QUERY
    }

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

    /**
     * Where the reference code (nilesh2797/BlockRank, {@code block_icr_collate_fn}) puts the query block's first
     * token: a fixed large offset, whatever the instruction and documents are.
     */
    public static final int REFERENCE_QUERY_POSITION = 16384;

    private final Block instruction;
    private final List<Block> documents;
    private final Block query;
    private final int queryPosition;
    private final int[] signalRows;

    PromptLayout(Block instruction, List<Block> documents, Block query) {
        this(instruction, documents, query, -1, null);
    }

    /**
     * @param queryPosition the query block's first position, or -1 for right after the longest document
     * @param signalRows    the signal rows (indices into the query block), or null for the last rows
     */
    PromptLayout(Block instruction, List<Block> documents, Block query, int queryPosition, int[] signalRows) {
        this.instruction = instruction;
        this.documents = List.copyOf(documents);
        this.query = query;
        this.queryPosition = queryPosition;
        this.signalRows = signalRows == null ? null : signalRows.clone();
        if (queryPosition >= 0 && instruction.length() + maxDocumentLength() > queryPosition) {
            throw new IllegalArgumentException("instruction (" + instruction.length() + " tokens) and the longest"
                    + " document (" + maxDocumentLength() + ") reach past the query block's fixed position "
                    + queryPosition);
        }
    }

    /**
     * The query block's first position in BlockRank's placement: the layout's fixed position ({@link
     * BlockRankLayout#REFERENCE}), else right after the longest document (instruction length + longest document).
     */
    public int queryPosition() {
        return queryPosition >= 0 ? queryPosition : instruction.length() + maxDocumentLength();
    }

    /** Whether the query block has a fixed position ({@link BlockRankLayout#REFERENCE}). */
    public boolean fixedQueryPosition() {
        return queryPosition >= 0;
    }

    /**
     * The query block's signal rows (0-based indices into the query block) whose attention is read: the layout's own
     * rows ({@link BlockRankLayout#REFERENCE}: the {@code [} and the token before it), else the last {@code count}.
     *
     * @param count the number of last rows to use when the layout does not fix them (1 or 2)
     */
    public int[] signalRows(int count) {
        if (signalRows != null) {
            return signalRows.clone();
        }
        int q = query.length();
        int n = Math.min(count, q);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = q - n + i;
        }
        return rows;
    }

    /**
     * Every token's position in BlockRank's placement, in causal prompt order ({@link #causalTokens()}): the
     * instruction from 0, each document from the instruction's length, the query block from {@link #queryPosition()}.
     */
    public int[] blockRankPositions() {
        int[] out = new int[totalTokens()];
        int at = 0;
        for (int i = 0; i < instruction.length(); i++) {
            out[at++] = i;
        }
        for (Block d : documents) {
            for (int i = 0; i < d.length(); i++) {
                out[at++] = instruction.length() + i;
            }
        }
        int q0 = queryPosition();
        for (int i = 0; i < query.length(); i++) {
            out[at++] = q0 + i;
        }
        return out;
    }

    /**
     * BlockRank's attention mask in causal prompt order: {@code mask[i][j]} says whether token i attends to token j.
     * The instruction attends causally to itself; a document to the instruction and causally to itself; the query
     * block to the instruction, every document and causally to itself.
     */
    public boolean[][] blockRankMask() {
        int n = totalTokens();
        int[] block = new int[n];
        int at = 0;
        int b = 0;
        for (Block blk : blocksInOrder()) {
            for (int i = 0; i < blk.length(); i++) {
                block[at++] = b;
            }
            b++;
        }
        int last = b - 1;
        boolean[][] mask = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                mask[i][j] = block[j] == block[i] || block[j] == 0 || block[i] == last;
            }
        }
        return mask;
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
        return new PromptLayout(instruction, documents, newQuery, queryPosition, null);
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
