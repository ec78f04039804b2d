package dev.winnow.ranking.incontext.prompt;

import java.util.Objects;

/**
 * The natural-language parts of a ranking prompt. Defaults follow BlockRank's prompt (Gupta et al. 2025): a task
 * statement, the query, the documents as {@code ID: {i} | CONTENT: {title} {text} | END ID: {i}}, the question
 * restated, and an answer prefix whose last token (the signal token, {@code [}) is where attention is read.
 *
 * @param task          the task statement opening the instruction block
 * @param question      the question restated in the query block (after the documents)
 * @param answerPrefix  the start of the assistant's answer; must end with {@code [}
 * @param docIdLabels   label documents with their docId instead of their 1-based position ({@code ID: {i}}): then a
 *                      document block depends on nothing but the document, whatever the other candidates are
 */
public record PromptWording(String task, String question, String answerPrefix, boolean docIdLabels) {

    /** BlockRank-style wording. */
    public static final PromptWording DEFAULT = new PromptWording(
            "You are given a search query and a list of documents, each with an ID. "
                    + "Find the document that best answers the query.",
            "Which document is the most relevant to the query? Answer with its ID.",
            "The most relevant document is ID: [",
            false);

    /** @return a copy labelling documents by docId (true) or position (false) */
    public PromptWording withDocIdLabels(boolean on) {
        return new PromptWording(task, question, answerPrefix, on);
    }

    /** Checks the fields. @throws IllegalArgumentException when the answer prefix does not end with '[' */
    public PromptWording {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answerPrefix, "answerPrefix");
        if (!answerPrefix.endsWith("[")) {
            throw new IllegalArgumentException(
                    "answer prefix must end with the signal token '[': \"" + answerPrefix + "\"");
        }
    }
}
