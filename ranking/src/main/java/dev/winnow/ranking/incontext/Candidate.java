package dev.winnow.ranking.incontext;

import java.util.Objects;

/**
 * One document handed to an in-context ranker: usually a first-stage (BM25, dense or hybrid) hit.
 *
 * @param docId            the collection's document id; non-blank, unique within one {@code rank} call
 * @param title            the title, possibly empty (never null)
 * @param text             the body text, possibly empty (never null)
 * @param firstStageScore  the retriever's score; finite. Rankers use it only to give the documents a canonical
 *                         order (score descending, then docId), so that results do not depend on the order of the
 *                         list passed in
 */
public record Candidate(String docId, String title, String text, double firstStageScore) {

    /** Validates the fields. @throws IllegalArgumentException naming the bad field */
    public Candidate {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(text, "text");
        if (docId.isBlank()) {
            throw new IllegalArgumentException("candidate docId is blank");
        }
        if (!Double.isFinite(firstStageScore)) {
            throw new IllegalArgumentException(
                    "candidate " + docId + ": firstStageScore is not finite: " + firstStageScore);
        }
    }

    /** A candidate without a first-stage score (0). */
    public static Candidate of(String docId, String title, String text) {
        return new Candidate(docId, title, text, 0.0);
    }

    /** Title and text joined by one space (the title is left out when empty). */
    public String content() {
        if (title.isEmpty()) {
            return text;
        }
        return text.isEmpty() ? title : title + " " + text;
    }
}
