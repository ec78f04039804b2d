package dev.winnow.ranking.incontext.prompt;

import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.runtime.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Builds {@link PromptLayout}s for a model: BlockRank's layout (the query stated in the instruction and restated in
 * the query block) and the causal layout of ICR (documents first, the query only at the end, so that the documents'
 * KV cache does not depend on the query).
 *
 * <p>Blocks: instruction = [BOS] + family's user start + task + {@code Query: {q}} + {@code Documents:};
 * document i = {@code ID: {i} | CONTENT: {title} {text} | END ID: {i}} (i 1-based, or the docId with
 * {@link PromptWording#docIdLabels}; content cut to the document budget in tokens); query block =
 * {@code Query: {q}} + the question + the family's assistant start + the answer prefix ending in {@code [}.
 * Template text is tokenized with special tokens parsed; query and document text without, so content cannot inject
 * control tokens. Truncation cuts the content's tokens and re-tokenizes their text inside the
 * block, so a block may differ from the budget by a token at the cut; every cut is reported on the block.
 */
public final class PromptBuilder {

    private final PromptTokenizer tokenizer;
    private final PromptFamily family;
    private final PromptWording wording;
    private final int documentBudget;
    private final int queryBudget;
    private final BlockRankLayout layout;

    /**
     * The builder a ranker uses: the family of the options, or else the one detected from the model's chat template
     * ({@link PromptFamily#detect}; plain without a template); wording and token budgets of the options.
     *
     * @param tokenizer the model's tokenizer
     * @param model     the model (its chat template)
     * @param options   family, wording, document and query budgets
     */
    public static PromptBuilder forModel(PromptTokenizer tokenizer, Model model, InContextOptions options) {
        PromptFamily family = options.family() != null
                ? options.family()
                : PromptFamily.detect(model.chatTemplate().orElse(null));
        BlockRankLayout layout = options.layout() != null ? options.layout() : BlockRankLayout.detect(model.metadata());
        return new PromptBuilder(
                tokenizer,
                family,
                options.wording(),
                options.documentTokenBudget(),
                options.queryTokenBudget(),
                layout);
    }

    /**
     * @param tokenizer      the model's tokenizer
     * @param family         the chat family ({@link PromptFamily#detect})
     * @param wording        the task, question and answer prefix
     * @param documentBudget most content tokens kept per document (title and text), >= 1 (384 at evaluation)
     * @param queryBudget    most tokens kept of the query text, >= 1
     */
    public PromptBuilder(
            PromptTokenizer tokenizer,
            PromptFamily family,
            PromptWording wording,
            int documentBudget,
            int queryBudget) {
        this(tokenizer, family, wording, documentBudget, queryBudget, BlockRankLayout.COMPACT);
    }

    /**
     * @param tokenizer      the model's tokenizer
     * @param family         the chat family ({@link PromptFamily#detect})
     * @param wording        the task, question and answer prefix of the compact layout (the reference layout has
     *                       its own wording; it keeps only {@link PromptWording#docIdLabels})
     * @param documentBudget most content tokens kept per document (compact), or most tokens per block (reference),
     *                       >= 1 (384 at evaluation)
     * @param queryBudget    most tokens kept of the query text (compact; the reference does not cut the query), >= 1
     * @param layout         BlockRank's layout ({@link #blockRank})
     */
    public PromptBuilder(
            PromptTokenizer tokenizer,
            PromptFamily family,
            PromptWording wording,
            int documentBudget,
            int queryBudget,
            BlockRankLayout layout) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.family = Objects.requireNonNull(family, "family");
        this.wording = Objects.requireNonNull(wording, "wording");
        if (documentBudget < 1) {
            throw new IllegalArgumentException("document token budget must be >= 1: " + documentBudget);
        }
        if (queryBudget < 1) {
            throw new IllegalArgumentException("query token budget must be >= 1: " + queryBudget);
        }
        this.documentBudget = documentBudget;
        this.queryBudget = queryBudget;
    }

    /** The chat family used. */
    public PromptFamily family() {
        return family;
    }

    /** BlockRank's layout used by {@link #blockRank}. */
    public BlockRankLayout layout() {
        return layout;
    }

    /**
     * BlockRank's layout: the query appears in the instruction and again in the query block. With {@link
     * BlockRankLayout#REFERENCE} the blocks are built as the reference code builds them for evaluation (see {@link
     * #referenceBlockRank}); with {@link BlockRankLayout#COMPACT} as described on this class.
     *
     * @param query     the search query; non-blank
     * @param documents the candidates in the order their IDs are given (1-based; 0-based in the reference layout)
     */
    public PromptLayout blockRank(String query, List<Candidate> documents) {
        if (layout == BlockRankLayout.REFERENCE) {
            return referenceBlockRank(query, documents);
        }
        Truncated q = truncate(checkQuery(query), queryBudget);
        PromptLayout.Block instruction = instruction("\nQuery: " + q.text + "\nDocuments:\n");
        return new PromptLayout(instruction, documentBlocks(documents), queryBlock(q));
    }

    /** The reference code's task statement (nilesh2797/BlockRank, {@code format_ranking_prompt}). */
    static final String REFERENCE_TASK = "You will be given a query and a list of documents. Each document will be"
            + " formatted as ID: <id> | CONTENT: <content> | END ID: <id>. You need to read carefully and understand"
            + " all of them and your goal is to find all document(s) from the list that can help answer the query.";

    /**
     * BlockRank's prompt as the reference code (nilesh2797/BlockRank: {@code utils.format_ranking_prompt},
     * {@code create_conversation_format}, {@code dataset._block_tokenize_batch}, {@code block_icr_collate_fn}) builds
     * it for evaluation:
     * <ol>
     *   <li>text: the chat template's user turn holds the task statement, {@code \nQuery: {q}\n\nDocuments:}, each
     *       document as {@code ID: {i} | CONTENT: {title text} | END ID: {i}} (i from 0) and the closing section
     *       ({@code \n====== Now let's start! ======\n...Query: {q}\nThe following document(s) can help answer the
     *       query:}); the assistant turn is continued from {@code Final Answer: [}; the segments are joined with a
     *       separator that the text is then split at;</li>
     *   <li>tokens: each segment's text in one piece without BOS/EOS (control-token text parsed, as the template's
     *       own tokens are), the segments between the first and the last prefixed with a newline; the last segment
     *       ({@code [}) joins the closing section in the query block;</li>
     *   <li>every block cut to the document budget in tokens (the collate's {@code max_block_length});</li>
     *   <li>the query block at {@link PromptLayout#REFERENCE_QUERY_POSITION}; signal rows: the first token of the
     *       {@code [} segment and the token before it (the auxiliary loss's two rows).</li>
     * </ol>
     * Differences kept on purpose: query and document text that contains control-token text is tokenized apart
     * from the template (so content cannot inject control tokens; the reference would parse them), and a query block
     * longer than the budget is refused instead of losing its signal token.
     *
     * @param query     the search query; non-blank
     * @param documents the candidates in the order their IDs are given (0-based, or docIds with
     *                  {@link PromptWording#docIdLabels})
     * @throws IllegalArgumentException when the query block is longer than the budget
     */
    public PromptLayout referenceBlockRank(String query, List<Candidate> documents) {
        String q = checkQuery(query);
        IntList ins = new IntList();
        bos(ins);
        ins.add(onePiece(family.userStart(), REFERENCE_TASK + "\nQuery: ", q, "\n\nDocuments:"));
        int[] instructionTokens = cut(ins.toArray());
        PromptLayout.Block instruction = new PromptLayout.Block(
                PromptLayout.Kind.INSTRUCTION,
                -1,
                instructionTokens,
                instructionTokens.length,
                instructionTokens.length < ins.size);
        List<PromptLayout.Block> blocks = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            Candidate c = documents.get(i);
            String id = wording.docIdLabels() ? c.docId() : Integer.toString(i);
            int[] all = tokenizer.tokenize(
                    "\nID: " + id + " | CONTENT: " + c.content().strip() + " | END ID: " + id, false);
            int[] kept = cut(all);
            blocks.add(
                    new PromptLayout.Block(PromptLayout.Kind.DOCUMENT, i, kept, kept.length, kept.length < all.length));
        }
        int[] closing = onePiece(
                "\n\n====== Now let's start! ======\nWhich document is most relevant to answer"
                        + " the query? Print out the ID of the document.\nQuery: ",
                "",
                q,
                "\nThe following document(s) can help answer the query:" + family.assistantStart() + "Final Answer: ");
        int[] bracket = tokenizer.tokenize("[", false);
        IntList qb = new IntList();
        qb.add(closing);
        qb.add(bracket);
        int[] queryTokens = qb.toArray();
        if (queryTokens.length > documentBudget) {
            throw new IllegalArgumentException("the reference layout cuts every block at " + documentBudget
                    + " tokens, and this query's block has " + queryTokens.length
                    + ": shorten the query or raise the document token budget");
        }
        if (closing.length == 0 || bracket.length == 0) {
            throw new IllegalStateException("the reference layout's query block has no signal rows");
        }
        PromptLayout.Block queryBlock = new PromptLayout.Block(
                PromptLayout.Kind.QUERY, -1, queryTokens, tokenizer.tokenize(q, false).length, false);
        return new PromptLayout(instruction, blocks, queryBlock, PromptLayout.REFERENCE_QUERY_POSITION, new int[] {
            closing.length - 1, closing.length
        });
    }

    /**
     * Tokenizes {@code before + text + after + tail} in one piece with control-token text parsed (as the reference
     * tokenizes a segment of the rendered chat template), unless {@code text} itself contains control-token text:
     * then the template parts are parsed and the text is not, in separate pieces.
     */
    private int[] onePiece(String before, String middle, String text, String after) {
        String lead = before + middle;
        if (Arrays.equals(tokenizer.tokenize(text, true), tokenizer.tokenize(text, false))) {
            return tokenizer.tokenize(lead + text + after, true);
        }
        IntList out = new IntList();
        out.add(tokenizer.tokenize(lead, true));
        out.add(tokenizer.tokenize(text, false));
        out.add(tokenizer.tokenize(after, true));
        return out.toArray();
    }

    private int[] cut(int[] tokens) {
        return tokens.length <= documentBudget ? tokens : Arrays.copyOf(tokens, documentBudget);
    }

    /**
     * ICR's causal layout: instruction without the query, documents, then the query block.
     *
     * @param query     the search query (non-blank), or {@code "N/A"} for the content-free calibration query
     * @param documents the candidates in prompt order
     */
    public PromptLayout queryLast(String query, List<Candidate> documents) {
        PromptLayout.Block instruction = instruction("\nDocuments:\n");
        return new PromptLayout(instruction, documentBlocks(documents), queryBlock(query));
    }

    /** A query block for {@code query} (used for ICR's calibration query "N/A"). */
    public PromptLayout.Block queryBlock(String query) {
        return queryBlock(truncate(checkQuery(query), queryBudget));
    }

    /**
     * One pointwise prompt: [BOS] user start + document + query + relevance question + assistant start + answer
     * prefix {@code Answer:}; the model's next token is the relevance answer.
     */
    public int[] pointwise(String query, Candidate document, String question) {
        Truncated q = truncate(checkQuery(query), queryBudget);
        Truncated d = truncate(document.content(), documentBudget);
        IntList out = new IntList();
        bos(out);
        out.add(tokenizer.tokenize(family.userStart(), true));
        out.add(tokenizer.tokenize("Document: " + d.text + "\nQuery: " + q.text + "\n" + question, false));
        out.add(tokenizer.tokenize(family.assistantStart(), true));
        out.add(tokenizer.tokenize("Answer:", false));
        return out.toArray();
    }

    /** Whether the document's content is longer than the document budget (and gets cut). */
    public boolean truncates(Candidate document) {
        return tokenizer.tokenize(document.content().strip(), false).length > documentBudget;
    }

    private PromptLayout.Block instruction(String tail) {
        IntList out = new IntList();
        bos(out);
        out.add(tokenizer.tokenize(family.userStart(), true));
        out.add(tokenizer.tokenize(wording.task() + tail, false));
        return new PromptLayout.Block(PromptLayout.Kind.INSTRUCTION, -1, out.toArray(), 0, false);
    }

    private List<PromptLayout.Block> documentBlocks(List<Candidate> documents) {
        List<PromptLayout.Block> blocks = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            Candidate c = documents.get(i);
            Truncated t = truncate(c.content(), documentBudget);
            String id = wording.docIdLabels() ? c.docId() : Integer.toString(i + 1);
            int[] tokens = tokenizer.tokenize("ID: " + id + " | CONTENT: " + t.text + " | END ID: " + id + "\n", false);
            blocks.add(new PromptLayout.Block(PromptLayout.Kind.DOCUMENT, i, tokens, t.kept, t.truncated));
        }
        return blocks;
    }

    private PromptLayout.Block queryBlock(Truncated q) {
        IntList out = new IntList();
        out.add(tokenizer.tokenize("Query: " + q.text + "\n" + wording.question(), false));
        out.add(tokenizer.tokenize(family.assistantStart(), true));
        out.add(tokenizer.tokenize(wording.answerPrefix(), false));
        int[] tokens = out.toArray();
        String last = tokenizer.piece(tokens[tokens.length - 1]);
        if (!last.contains("[")) {
            throw new IllegalStateException("the query block's last token is \"" + last
                    + "\", not the signal token '[' (answer prefix \"" + wording.answerPrefix() + "\")");
        }
        return new PromptLayout.Block(PromptLayout.Kind.QUERY, -1, tokens, q.kept, q.truncated);
    }

    private void bos(IntList out) {
        OptionalInt bos = tokenizer.bos();
        if (bos.isPresent()) {
            out.add(new int[] {bos.getAsInt()});
        }
    }

    private static String checkQuery(String query) {
        return Rankings.checkQuery(query);
    }

    private record Truncated(String text, int kept, boolean truncated) {}

    private Truncated truncate(String text, int budget) {
        String clean = text.strip();
        int[] tokens = tokenizer.tokenize(clean, false);
        if (tokens.length <= budget) {
            return new Truncated(clean, tokens.length, false);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < budget; i++) {
            sb.append(tokenizer.piece(tokens[i]));
        }
        return new Truncated(sb.toString().strip(), budget, true);
    }

    /** Growable int array. */
    private static final class IntList {
        private int[] data = new int[64];
        private int size;

        void add(int[] values) {
            if (size + values.length > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, size + values.length));
            }
            System.arraycopy(values, 0, data, size, values.length);
            size += values.length;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
